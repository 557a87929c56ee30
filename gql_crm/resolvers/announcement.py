from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.context import Info
from gql_crm.resolvers.common import mutate
from gql_crm.resolvers.kit import connection, default, described, mutation
from gql_crm.schema.announcement import (
    TITLE,
    AnnouncementInput,
    AnnouncementSuccess,
    AnnouncementType,
    NoticeSent,
)
from gql_crm.schema.common import DeleteSuccess, InvalidInputError, NotFoundError, requires
from gql_crm.schema.constraints import constraint
from gql_crm.services import announcement as announcement_service
from gql_crm.services.announcement import (
    ANNOUNCEMENT_CREATE,
    ANNOUNCEMENT_DELETE,
    ANNOUNCEMENT_EDIT,
)

InstantNoticeResult = Annotated[
    NoticeSent | InvalidInputError, strawberry.union("InstantNoticeResult")
]


@strawberry.type
class AnnouncementQuery:
    announcements = connection(
        announcement_service.announcements_query, AnnouncementType,
        announcement_service.PUBLISHED_ORDER,
        description="Published announcements addressed to you, newest first.",
    )  # fmt: skip
    announcement_drafts = connection(
        announcement_service.drafts_query, AnnouncementType, announcement_service.DRAFT_ORDER,
        description="Your unpublished announcements.",
    )  # fmt: skip


@strawberry.type
class AnnouncementMutation:
    create_announcement = mutation(
        announcement_service.create_announcement, AnnouncementSuccess, needs=ANNOUNCEMENT_CREATE,
        description="Create (and with publish: true, publish at once: the audience is notified).",
        input=AnnouncementInput,
        publish=default(described(bool, "Publish at once instead of keeping a draft."), False),
    )  # fmt: skip
    publish_announcement = mutation(
        announcement_service.publish_announcement, AnnouncementSuccess,
        needs=ANNOUNCEMENT_CREATE, id=int,
        description="Publishes a draft announcement: its audience is notified.",
    )  # fmt: skip
    update_announcement = mutation(
        announcement_service.update_announcement, AnnouncementSuccess, needs=ANNOUNCEMENT_EDIT,
        id=int, input=AnnouncementInput,
        description="Edit your announcement. A new audience of a published one applies at once: "
        "new readers are notified, readers left out no longer see it.",
    )  # fmt: skip
    delete_announcement = mutation(
        announcement_service.delete_announcement, DeleteSuccess, needs=ANNOUNCEMENT_DELETE,
        failures=(NotFoundError,), union="DeleteAnnouncementResult", id=int,
        description="Deletes an announcement you wrote, and its entries in readers' bells.",
    )  # fmt: skip

    @strawberry.mutation(
        extensions=[requires(announcement_service.ANNOUNCEMENT_CREATE)],
        description="Shown once to users online now (subscription instantNotices); not stored.",
    )
    async def send_instant_notice(
        self,
        info: Info,
        title: Annotated[str, strawberry.argument(metadata=TITLE, description="The headline.")],
        body: Annotated[
            str, strawberry.argument(metadata=constraint(max_length=2000), description="The text.")
        ] = "",
    ) -> InstantNoticeResult:
        bus = info.context.services.bus
        return await mutate(
            info,
            lambda uow: announcement_service.send_instant_notice(uow, title, body),
            lambda _: NoticeSent(delivered_live=bus.healthy),
        )
