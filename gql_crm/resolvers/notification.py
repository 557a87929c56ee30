from __future__ import annotations

from functools import partial
from typing import Annotated

import strawberry

from gql_crm.context import Info
from gql_crm.resolvers.common import mutate, read
from gql_crm.resolvers.kit import connection, default, mutation
from gql_crm.schema.common import NotFoundError
from gql_crm.schema.notification import (
    MarkAllReadSuccess,
    NotificationCategoryEnum,
    NotificationSuccess,
    NotificationType,
    UnreadCountsType,
)
from gql_crm.services import notification as notification_service


@strawberry.type
class NotificationQuery:
    notifications = connection(
        notification_service.notifications_query, NotificationType, notification_service.ORDER,
        description="Your notifications, newest first. To catch up after a disconnect, page "
        "with `after` from the last cursor you saw.",
        first=int | None, after=str | None, unread_only=default(bool, False),
    )  # fmt: skip

    @strawberry.field(description="Your unread notifications, counted as the bell shows them.")
    async def unread_notification_counts(self, info: Info) -> UnreadCountsType:
        principal = info.context.require_principal()
        counts = partial(notification_service.my_unread_counts, principal=principal)
        return UnreadCountsType.of(await read(info, counts))


@strawberry.type
class NotificationMutation:
    mark_notification_read = mutation(
        notification_service.mark_read, NotificationSuccess, needs=None,
        failures=(NotFoundError,), union="MarkNotificationReadResult", id=int,
        description="Marks one of your notifications as read.",
    )  # fmt: skip

    @strawberry.mutation(description="Mark every (or every personal / system) notification read.")
    async def mark_all_notifications_read(
        self,
        info: Info,
        category: Annotated[
            NotificationCategoryEnum | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only this category (all when left out)."),
        ] = None,
    ) -> MarkAllReadSuccess:
        info.context.require_principal()
        return await mutate(
            info,
            lambda uow: notification_service.mark_all_read(uow, category),
            lambda count: MarkAllReadSuccess(marked=count),
        )
