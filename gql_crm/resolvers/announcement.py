from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import Announcement
from gql_crm.resolvers.common import mutate, paginate
from gql_crm.schema.announcement import (
    TITLE,
    AnnouncementInput,
    AnnouncementSuccess,
    AnnouncementType,
    NoticeSent,
)
from gql_crm.schema.common import (
    ConflictError,
    Connection,
    DeleteSuccess,
    InvalidInputError,
    NotFoundError,
    deleted,
    requires,
)
from gql_crm.schema.constraints import constraint
from gql_crm.schema.kit import values_of
from gql_crm.services import announcement as announcement_service
from gql_crm.services.announcement import AnnouncementFields

AnnouncementResult = Annotated[
    AnnouncementSuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("AnnouncementResult"),
]
DeleteAnnouncementResult = Annotated[
    DeleteSuccess | NotFoundError, strawberry.union("DeleteAnnouncementResult")
]
InstantNoticeResult = Annotated[
    NoticeSent | InvalidInputError, strawberry.union("InstantNoticeResult")
]


def _success(row: Announcement) -> AnnouncementSuccess:
    return AnnouncementSuccess(announcement=AnnouncementType.from_model(row))


@strawberry.type
class AnnouncementQuery:
    @strawberry.field(description="Published announcements addressed to you, newest first.")
    async def announcements(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AnnouncementType]:
        principal = info.context.require_principal()
        return await paginate(
            info,
            announcement_service.announcements_query(principal),
            announcement_service.PUBLISHED_ORDER,
            first=first,
            after=after,
            to_node=AnnouncementType.from_model,
        )

    @strawberry.field(description="Your unpublished announcements.")
    async def announcement_drafts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AnnouncementType]:
        principal = info.context.require_principal()
        return await paginate(
            info,
            announcement_service.drafts_query(principal),
            announcement_service.DRAFT_ORDER,
            first=first,
            after=after,
            to_node=AnnouncementType.from_model,
        )


@strawberry.type
class AnnouncementMutation:
    @strawberry.mutation(
        extensions=[requires(announcement_service.ANNOUNCEMENT_CREATE)],
        description="Create (and with publish: true, publish at once: the audience is notified).",
    )
    async def create_announcement(
        self, info: Info, input: AnnouncementInput, publish: bool = False
    ) -> AnnouncementResult:
        fields = AnnouncementFields(**values_of(input))
        return await mutate(
            info,
            lambda uow: announcement_service.create_announcement(uow, fields, publish),
            _success,
        )

    @strawberry.mutation(extensions=[requires(announcement_service.ANNOUNCEMENT_CREATE)])
    async def publish_announcement(self, info: Info, id: int) -> AnnouncementResult:
        return await mutate(
            info, lambda uow: announcement_service.publish_announcement(uow, id), _success
        )

    @strawberry.mutation(extensions=[requires(announcement_service.ANNOUNCEMENT_EDIT)])
    async def update_announcement(
        self, info: Info, id: int, input: AnnouncementInput
    ) -> AnnouncementResult:
        fields = AnnouncementFields(**values_of(input))
        return await mutate(
            info,
            lambda uow: announcement_service.update_announcement(uow, id, fields),
            _success,
        )

    @strawberry.mutation(extensions=[requires(announcement_service.ANNOUNCEMENT_DELETE)])
    async def delete_announcement(self, info: Info, id: int) -> DeleteAnnouncementResult:
        return await mutate(
            info, lambda uow: announcement_service.delete_announcement(uow, id), deleted
        )

    @strawberry.mutation(
        extensions=[requires(announcement_service.ANNOUNCEMENT_CREATE)],
        description="Shown once to users online now (subscription instantNotices); not stored.",
    )
    async def send_instant_notice(
        self,
        info: Info,
        title: Annotated[str, strawberry.argument(metadata=TITLE)],
        body: Annotated[str, strawberry.argument(metadata=constraint(max_length=2000))] = "",
    ) -> InstantNoticeResult:
        bus = info.context.services.bus
        return await mutate(
            info,
            lambda uow: announcement_service.send_instant_notice(uow, title, body),
            lambda _: NoticeSent(delivered_live=bus.healthy),
        )
