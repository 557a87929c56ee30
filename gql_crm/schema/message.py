from __future__ import annotations

from datetime import datetime

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import Message
from gql_crm.schema.constraints import constraint
from gql_crm.schema.kit import ModelInput, ModelType, related
from gql_crm.schema.user import UserType

SUBJECT = constraint(max_length=200, single_line=True, required=True)
BODY = constraint(max_length=20_000, required=True)


@strawberry.type(name="Message", description="An internal message.")
class MessageType(ModelType, model=Message):
    id: int
    sender_id: int
    subject: str
    body: str
    created_at: datetime

    @strawberry.field(description="When you read it; null if unread or if you sent it.")
    async def read_at(self, info: Info) -> datetime | None:
        principal = info.context.require_principal()
        return await info.context.loaders.message_read_at.load((self.id, principal.user_id))

    sender = related(UserType, "sender_id", "user")


@strawberry.type
class MessageSuccess:
    message: MessageType


@strawberry.type
class MessagesSuccess:
    messages: list[MessageType]


@strawberry.input(description="One message of a sendMessages call.")
class MessageInput(ModelInput, model=Message):
    recipient_ids: list[int] = strawberry.field(description="Ids of the users to send it to.")
    subject: str = strawberry.field(metadata=SUBJECT)
    body: str = strawberry.field(metadata=BODY)
