from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

import strawberry

from gql_crm.context import Context, Info
from gql_crm.db.models import Approval, ApprovalAction
from gql_crm.schema.approval import ApprovalType_, ApprovalUpdate
from gql_crm.services import approval as approval_service
from gql_crm.subscriptions.live import feed, live_events


@feed("approvalUpdates")
async def approval_updates(
    context: Context, approval_id: int | None = None
) -> AsyncIterator[ApprovalUpdate]:
    principal = context.require_principal()
    database = context.services.database
    async for event in live_events(context, approval_service.TOPIC):
        if event.channel != approval_service.TOPIC:
            continue
        payload = event.payload
        if approval_id is not None and payload["approvalId"] != approval_id:
            continue
        if not approval_service.can_watch(principal, payload):
            continue
        async with database.reader() as session:
            approval = await session.get(Approval, payload["approvalId"])
        if approval is None:
            continue
        yield ApprovalUpdate(
            action=ApprovalAction(payload["action"]),
            actor_id=payload["actorId"],
            approval=ApprovalType_.from_model(approval),
        )


@strawberry.type
class ApprovalSubscription:
    @strawberry.subscription(
        description="Changes to approvals you may see: yours, those you decide, and (managers) "
        "those of applicants in your scope; optionally one approval only."
    )
    async def approval_updates(
        self, info: Info, approval_id: int | None = None
    ) -> AsyncGenerator[ApprovalUpdate, None]:
        async for update in approval_updates(info.context, approval_id=approval_id):
            yield update
