from __future__ import annotations

from datetime import datetime

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import Message, MessageRecipient
from gql_crm.loaders.batch import children
from gql_crm.schema.constraints import constraint
from gql_crm.schema.kit import ModelInput, ModelType, related
from gql_crm.schema.user import UserType

SUBJECT = constraint(max_length=200, single_line=True, required=True)
BODY = constraint(max_length=20_000, required=True)


recipients_of_message = children(MessageRecipient.message_id, MessageRecipient.user_id)


@strawberry.type(
    name="MessageRecipient",
    description="A recipient of a message you sent, and whether they read it.",
)
class MessageRecipientType(ModelType):
    user_id: int
    read_at: datetime | None = strawberry.field(description="When they read it; null if unread.")

    user = related(UserType, "user_id", "user", description="The recipient.")


@strawberry.type(name="Message", description="An internal message.")
class MessageType(ModelType, model=Message):
    id: int
    sender_id: int
    subject: str = strawberry.field(description="One line.")
    body: str = strawberry.field(description="The text.")
    created_at: datetime

    @strawberry.field(description="When you read it; null if unread or if you sent it.")
    async def read_at(self, info: Info) -> datetime | None:
        principal = info.context.require_principal()
        return await info.context.loaders.message_read_at.load((self.id, principal.user_id))

    sender = related(UserType, "sender_id", "user", description="Who sent it.")

    @strawberry.field(
        description="Who it was sent to and whether each has read it; null unless you sent it."
    )
    async def recipients(self, info: Info) -> list[MessageRecipientType] | None:
        if self.sender_id != info.context.require_principal().user_id:
            return None
        rows = await info.context.loaders.of(recipients_of_message).load(self.id)
        return [MessageRecipientType.from_model(row) for row in rows]


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
