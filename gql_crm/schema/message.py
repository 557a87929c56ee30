from __future__ import annotations

from datetime import datetime

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import Message
from gql_crm.schema.user import UserType


@strawberry.type(name="Message", description="An internal message.")
class MessageType:
    id: int
    sender_id: int
    subject: str
    body: str
    created_at: datetime

    @classmethod
    def from_model(cls, message: Message) -> MessageType:
        return cls(
            id=message.id,
            sender_id=message.sender_id,
            subject=message.subject,
            body=message.body,
            created_at=message.created_at,
        )

    @strawberry.field(description="When you read it; null if unread or if you sent it.")
    async def read_at(self, info: Info) -> datetime | None:
        principal = info.context.require_principal()
        return await info.context.loaders.message_read_at.load((self.id, principal.user_id))

    @strawberry.field
    async def sender(self, info: Info) -> UserType | None:
        user = await info.context.loaders.user.load(self.sender_id)
        return UserType.from_model(user) if user else None


@strawberry.type
class MessageSuccess:
    message: MessageType


@strawberry.type
class MessagesSuccess:
    messages: list[MessageType]


@strawberry.input(description="One message of a sendMessages call.")
class MessageInput:
    recipient_ids: list[int]
    subject: str
    body: str
