from __future__ import annotations

from datetime import datetime

import strawberry

from gql_crm.db.models import Notification, NotificationCategory
from gql_crm.schema.kit import ModelType
from gql_crm.services.notification import UnreadCounts

NotificationCategoryEnum = strawberry.enum(
    NotificationCategory,
    name="NotificationCategory",
    description="The two counts of the notification bell.",
)


@strawberry.type(name="Notification", description="An entry of your notification bell.")
class NotificationType(ModelType, model=Notification):
    id: int
    category: NotificationCategoryEnum  # type: ignore[valid-type]
    kind: str
    title: str
    body: str
    link_type: str | None = strawberry.field(description="The record it is about, e.g. approval.")
    link_id: int | None
    read_at: datetime | None
    created_at: datetime

    @classmethod
    def from_payload(cls, notification_id: int, payload: dict[str, object]) -> NotificationType:
        # A live notification is built from its event, before any row is read.
        return cls(
            id=notification_id,
            category=NotificationCategory(str(payload["category"])),
            kind=str(payload["kind"]),
            title=str(payload["title"]),
            body=str(payload["body"]),
            link_type=payload["linkType"],  # type: ignore[arg-type]
            link_id=payload["linkId"],  # type: ignore[arg-type]
            read_at=None,
            created_at=datetime.fromisoformat(str(payload["createdAt"])),
        )


@strawberry.type(
    name="UnreadCounts",
    description="How many of your notifications are unread, as the bell shows them.",
)
class UnreadCountsType:
    personal: int = strawberry.field(description="Unread personal notifications.")
    system: int = strawberry.field(description="Unread system notifications.")
    total: int = strawberry.field(description="All unread notifications.")

    @classmethod
    def of(cls, counts: UnreadCounts) -> UnreadCountsType:
        return cls(personal=counts.personal, system=counts.system, total=counts.total)


@strawberry.type(description="A new notification and your unread counts after it.")
class NotificationPush:
    notification: NotificationType = strawberry.field(description="The new notification.")
    unread_counts: UnreadCountsType = strawberry.field(description="Your unread counts after it.")


@strawberry.type
class NotificationSuccess:
    notification: NotificationType


@strawberry.type
class MarkAllReadSuccess:
    marked: int
