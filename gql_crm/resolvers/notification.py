from __future__ import annotations

from functools import partial
from typing import Annotated

import strawberry

from gql_crm.context import Info
from gql_crm.resolvers.common import mutate, paginate, read
from gql_crm.schema.common import Connection, NotFoundError
from gql_crm.schema.notification import (
    MarkAllReadSuccess,
    NotificationCategoryEnum,
    NotificationSuccess,
    NotificationType,
    UnreadCountsType,
)
from gql_crm.services import notification as notification_service

MarkReadResult = Annotated[
    NotificationSuccess | NotFoundError, strawberry.union("MarkNotificationReadResult")
]


@strawberry.type
class NotificationQuery:
    @strawberry.field(
        description="Your notifications, newest first. To catch up after a disconnect, page "
        "with `after` from the last cursor you saw."
    )
    async def notifications(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        unread_only: bool = False,
    ) -> Connection[NotificationType]:
        principal = info.context.require_principal()
        stmt = notification_service.notifications_query(principal, unread_only=unread_only)
        return await paginate(
            info,
            stmt,
            notification_service.ORDER,
            first=first,
            after=after,
            to_node=NotificationType.from_model,
        )

    @strawberry.field
    async def unread_notification_counts(self, info: Info) -> UnreadCountsType:
        principal = info.context.require_principal()
        counts = partial(notification_service.my_unread_counts, principal=principal)
        return UnreadCountsType.of(await read(info, counts))


@strawberry.type
class NotificationMutation:
    @strawberry.mutation
    async def mark_notification_read(self, info: Info, id: int) -> MarkReadResult:
        info.context.require_principal()
        return await mutate(
            info,
            lambda uow: notification_service.mark_read(uow, id),
            lambda n: NotificationSuccess(notification=NotificationType.from_model(n)),
        )

    @strawberry.mutation(description="Mark every (or every personal / system) notification read.")
    async def mark_all_notifications_read(
        self,
        info: Info,
        category: NotificationCategoryEnum | None = None,  # type: ignore[valid-type]
    ) -> MarkAllReadSuccess:
        info.context.require_principal()
        return await mutate(
            info,
            lambda uow: notification_service.mark_all_read(uow, category),
            lambda count: MarkAllReadSuccess(marked=count),
        )
