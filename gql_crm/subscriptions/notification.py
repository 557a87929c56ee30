from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
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
from gql_crm.subscriptions.live import feed, live_events


@feed("notifications")
async def notification_pushes(context: Context) -> AsyncIterator[NotificationPush]:
    me = context.require_principal().user_id
    async for event in live_events(context, BROADCAST_CHANNEL):
        if event.type != "notification.created":
            continue
        payload = event.payload
        if event.channel == BROADCAST_CHANNEL:
            mine = payload["recipients"].get(str(me))
            if mine is None:
                continue
            notification_id, counts = read_recipient_entry(mine)
        elif event.id is not None:
            notification_id = event.id
            counts = UnreadCounts(*payload["unread"])
        else:
            continue
        yield NotificationPush(
            notification=NotificationType.from_payload(notification_id, payload),
            unread_counts=UnreadCountsType.of(counts),
        )


@feed("messages")
async def received_messages(context: Context) -> AsyncIterator[MessageType]:
    async for event in live_events(context):
        if event.type != "message.received":
            continue
        p = event.payload
        yield MessageType(
            id=p["id"],
            sender_id=p["senderId"],
            subject=p["subject"],
            body=p["body"],
            created_at=datetime.fromisoformat(p["createdAt"]),
        )


@feed("instantNotices")
async def instant_notices(context: Context) -> AsyncIterator[InstantNotice]:
    async for event in live_events(context, NOTICE_TOPIC):
        if event.channel != NOTICE_TOPIC:
            continue
        p = event.payload
        yield InstantNotice(
            title=p["title"], body=p["body"], sender_id=p["senderId"], sent_at=event.time
        )


@strawberry.type
class NotificationSubscription:
    @strawberry.subscription(
        description="Each new notification of yours, with your unread counts after it."
    )
    async def notifications(self, info: Info) -> AsyncGenerator[NotificationPush, None]:
        async for push in notification_pushes(info.context):
            yield push

    @strawberry.subscription(description="Internal messages sent to you, as they arrive.")
    async def messages(self, info: Info) -> AsyncGenerator[MessageType, None]:
        async for message in received_messages(info.context):
            yield message

    @strawberry.subscription(description="Instant notices, shown once to whoever is online.")
    async def instant_notices(self, info: Info) -> AsyncGenerator[InstantNotice, None]:
        async for notice in instant_notices(info.context):
            yield notice
