from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from gql_crm.context import Context, Info
from gql_crm.schema.job import JobProgressType
from gql_crm.services.job import PROGRESS
from gql_crm.subscriptions.bus import Event
from gql_crm.subscriptions.live import Feed, feed, live_items


@feed("jobProgress")
class JobProgressFeed(Feed[JobProgressType]):
    """Progress of the subscriber's own jobs: it travels on the owner's channel only."""

    __slots__ = ("_job_id",)

    def __init__(self, context: Context, job_id: int | None = None) -> None:
        context.require_principal()
        self._job_id = job_id

    def items(self, event: Event) -> tuple[JobProgressType, ...]:
        if event.type != PROGRESS:
            return ()
        if self._job_id is not None and event.id != self._job_id:
            return ()
        return (JobProgressType.from_payload(event.payload),)


@strawberry.type
class JobSubscription:
    @strawberry.subscription(
        description="Progress of your imports and exports (or of one), as they run; after a "
        "reconnect, read `job` for where it stands."
    )
    async def job_progress(
        self, info: Info, job_id: int | None = None
    ) -> AsyncGenerator[JobProgressType, None]:
        async for item in live_items(info.context, JobProgressFeed(info.context, job_id=job_id)):
            yield item
