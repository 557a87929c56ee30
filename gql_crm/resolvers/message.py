from __future__ import annotations

from functools import partial
from typing import Annotated

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import Message
from gql_crm.resolvers.common import mutate, paginate, read
from gql_crm.schema.common import Connection, InvalidInputError, NotFoundError
from gql_crm.schema.kit import values_of
from gql_crm.schema.message import (
    BODY,
    SUBJECT,
    MessageInput,
    MessagesSuccess,
    MessageSuccess,
    MessageType,
)
from gql_crm.services import message as message_service

SendMessageResult = Annotated[
    MessageSuccess | InvalidInputError, strawberry.union("SendMessageResult")
]
SendMessagesResult = Annotated[
    MessagesSuccess | InvalidInputError, strawberry.union("SendMessagesResult")
]
MarkMessageReadResult = Annotated[
    MessageSuccess | NotFoundError, strawberry.union("MarkMessageReadResult")
]


def _success(message: Message) -> MessageSuccess:
    return MessageSuccess(message=MessageType.from_model(message))


@strawberry.type
class MessageQuery:
    @strawberry.field(description="Messages sent to you, newest first.")
    async def inbox(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        unread_only: bool = False,
    ) -> Connection[MessageType]:
        principal = info.context.require_principal()
        stmt = message_service.inbox_query(principal, unread_only=unread_only)
        return await paginate(
            info,
            stmt,
            message_service.ORDER,
            first=first,
            after=after,
            to_node=MessageType.from_model,
        )

    @strawberry.field(description="Messages you sent, newest first.")
    async def sent_messages(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[MessageType]:
        principal = info.context.require_principal()
        return await paginate(
            info,
            message_service.sent_query(principal),
            message_service.ORDER,
            first=first,
            after=after,
            to_node=MessageType.from_model,
        )

    @strawberry.field
    async def unread_message_count(self, info: Info) -> int:
        principal = info.context.require_principal()
        return await read(info, partial(message_service.unread_count, principal=principal))


@strawberry.type
class MessageMutation:
    @strawberry.mutation(description="Delivered live to recipients online; kept for the others.")
    async def send_message(
        self,
        info: Info,
        recipient_ids: list[int],
        subject: Annotated[str, strawberry.argument(metadata=SUBJECT)],
        body: Annotated[str, strawberry.argument(metadata=BODY)],
    ) -> SendMessageResult:
        info.context.require_principal()
        return await mutate(
            info,
            lambda uow: message_service.send_message(uow, recipient_ids, subject, body),
            _success,
        )

    @strawberry.mutation(
        description=(
            f"Several messages, each to its own recipients (at most "
            f"{message_service.MAX_MESSAGES} messages and "
            f"{message_service.MAX_RECIPIENTS_PER_CALL} recipients in all), in one "
            f"transaction: all are sent or none."
        )
    )
    async def send_messages(self, info: Info, messages: list[MessageInput]) -> SendMessagesResult:
        info.context.require_principal()
        drafts = [message_service.MessageDraft(**values_of(m)) for m in messages]
        return await mutate(
            info,
            lambda uow: message_service.send_messages(uow, drafts),
            lambda sent: MessagesSuccess(messages=[MessageType.from_model(m) for m in sent]),
        )

    @strawberry.mutation
    async def mark_message_read(self, info: Info, id: int) -> MarkMessageReadResult:
        info.context.require_principal()
        return await mutate(info, lambda uow: message_service.mark_message_read(uow, id), _success)
