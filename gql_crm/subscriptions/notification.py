from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from gql_crm.context import Context, Info
from gql_crm.schema.announcement import InstantNotice
from gql_crm.schema.message import MessageType
from gql_crm.schema.notification import NotificationPush, NotificationType, UnreadCountsType
from gql_crm.services.announcement import NOTICE_TOPIC
from gql_crm.services.notification import (
    BROADCAST_CHANNEL,
    UnreadCounts,
    read_recipient_entry,
)
from gql_crm.subscriptions.bus import Event
from gql_crm.subscriptions.live import Feed, feed, live_items


@feed("notifications")
class NotificationPushes(Feed[NotificationPush]):
    channels = (BROADCAST_CHANNEL,)

    __slots__ = ("_my_key",)

    def __init__(self, context: Context) -> None:
        # A broadcast names its recipients by their ids as strings (JSON object keys).
        self._my_key = str(context.require_principal().user_id)

    def items(self, event: Event) -> tuple[NotificationPush, ...]:
        if event.type != "notification.created":
            return ()
        payload = event.payload
        if event.channel == BROADCAST_CHANNEL:
            mine = payload["recipients"].get(self._my_key)
            if mine is None:
                return ()
            notification_id, counts = read_recipient_entry(mine)
        elif event.id is not None:
            notification_id = event.id
            counts = UnreadCounts(*payload["unread"])
        else:
            return ()
        return (
            NotificationPush(
                notification=NotificationType.from_payload(notification_id, payload),
                unread_counts=UnreadCountsType.of(counts),
            ),
        )


@feed("messages")
class ReceivedMessages(Feed[MessageType]):
    __slots__ = ()

    def __init__(self, context: Context) -> None:
        context.require_principal()

    def items(self, event: Event) -> tuple[MessageType, ...]:
        if event.type != "message.received":
            return ()
        p = event.payload
        return (
            MessageType(
                id=p["id"],
                sender_id=p["senderId"],
                subject=p["subject"],
                body=p["body"],
                created_at=datetime.fromisoformat(p["createdAt"]),
            ),
        )


@feed("instantNotices")
class InstantNotices(Feed[InstantNotice]):
    channels = (NOTICE_TOPIC,)

    __slots__ = ()

    def __init__(self, context: Context) -> None:
        context.require_principal()

    def items(self, event: Event) -> tuple[InstantNotice, ...]:
        if event.channel != NOTICE_TOPIC:
            return ()
        p = event.payload
        return (
            InstantNotice(
                title=p["title"], body=p["body"], sender_id=p["senderId"], sent_at=event.time
            ),
        )


@strawberry.type
class NotificationSubscription:
    @strawberry.subscription(
        description="Each new notification of yours, with your unread counts after it."
    )
    async def notifications(self, info: Info) -> AsyncGenerator[NotificationPush, None]:
        async for push in live_items(info.context, NotificationPushes(info.context)):
            yield push

    @strawberry.subscription(description="Internal messages sent to you, as they arrive.")
    async def messages(self, info: Info) -> AsyncGenerator[MessageType, None]:
        async for message in live_items(info.context, ReceivedMessages(info.context)):
            yield message

    @strawberry.subscription(description="Instant notices, shown once to whoever is online.")
    async def instant_notices(self, info: Info) -> AsyncGenerator[InstantNotice, None]:
        async for notice in live_items(info.context, InstantNotices(info.context)):
            yield notice
