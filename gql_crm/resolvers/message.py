from __future__ import annotations

from functools import partial
from typing import Annotated

import strawberry

from gql_crm.context import Info
from gql_crm.resolvers.common import read
from gql_crm.resolvers.kit import connection, default, described, mutation
from gql_crm.schema.common import InvalidInputError, NotFoundError
from gql_crm.schema.message import (
    BODY,
    SUBJECT,
    MessageInput,
    MessagesSuccess,
    MessageSuccess,
    MessageType,
)
from gql_crm.services import message as message_service


@strawberry.type
class MessageQuery:
    inbox = connection(
        message_service.inbox_query, MessageType, message_service.ORDER,
        description="Messages sent to you, newest first.",
        first=int | None, after=str | None, unread_only=default(bool, False),
    )  # fmt: skip
    sent_messages = connection(
        message_service.sent_query, MessageType, message_service.ORDER,
        description="Messages you sent, newest first.",
    )  # fmt: skip

    @strawberry.field(description="How many messages sent to you are unread.")
    async def unread_message_count(self, info: Info) -> int:
        principal = info.context.require_principal()
        return await read(info, partial(message_service.unread_count, principal=principal))


@strawberry.type
class MessageMutation:
    send_message = mutation(
        message_service.send_message, MessageSuccess, needs=None, failures=(InvalidInputError,),
        union="SendMessageResult",
        description="Delivered live to recipients online; kept for the others.",
        recipient_ids=list[int], subject=Annotated[str, strawberry.argument(metadata=SUBJECT)],
        body=Annotated[str, strawberry.argument(metadata=BODY)],
    )  # fmt: skip
    send_messages = mutation(
        message_service.send_drafts, MessagesSuccess, needs=None, failures=(InvalidInputError,),
        union="SendMessagesResult",
        description=(
            f"Several messages, each to its own recipients (at most "
            f"{message_service.MAX_MESSAGES} messages and "
            f"{message_service.MAX_RECIPIENTS_PER_CALL} recipients in all), in one "
            f"transaction: all are sent or none."
        ),
        messages=described(list[MessageInput], "The messages, each with its recipients."),
    )  # fmt: skip
    mark_message_read = mutation(
        message_service.mark_message_read, MessageSuccess, needs=None,
        failures=(NotFoundError,), union="MarkMessageReadResult", id=int,
        description="Marks a message sent to you as read.",
    )  # fmt: skip
