from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from gql_crm.context import Context, Info
from gql_crm.db.models import Approval, ApprovalAction
from gql_crm.schema.approval import ApprovalType_, ApprovalUpdate
from gql_crm.services import approval as approval_service
from gql_crm.subscriptions.bus import Event
from gql_crm.subscriptions.live import LoadingFeed, feed, live_items


@feed("approvalUpdates")
class ApprovalUpdates(LoadingFeed[ApprovalUpdate]):
    channels = (approval_service.TOPIC,)

    __slots__ = ("_approval_id", "_database", "_principal")

    def __init__(self, context: Context, approval_id: int | None = None) -> None:
        self._principal = context.require_principal()
        self._database = context.services.database
        self._approval_id = approval_id

    async def items(self, event: Event) -> list[ApprovalUpdate]:
        if event.channel != approval_service.TOPIC:
            return []
        payload = event.payload
        if self._approval_id is not None and payload["approvalId"] != self._approval_id:
            return []
        if not approval_service.can_watch(self._principal, payload):
            return []
        async with self._database.reader() as session:
            approval = await session.get(Approval, payload["approvalId"])
        if approval is None:
            return []
        return [
            ApprovalUpdate(
                action=ApprovalAction(payload["action"]),
                actor_id=payload["actorId"],
                approval=ApprovalType_.from_model(approval),
            )
        ]


@strawberry.type
class ApprovalSubscription:
    @strawberry.subscription(
        description="Changes to approvals you may see: yours, those you decide, and (managers) "
        "those of applicants in your scope; optionally one approval only."
    )
    async def approval_updates(
        self, info: Info, approval_id: int | None = None
    ) -> AsyncGenerator[ApprovalUpdate, None]:
        feed = ApprovalUpdates(info.context, approval_id=approval_id)
        async for update in live_items(info.context, feed):
            yield update
