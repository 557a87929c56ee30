"""Internal messages (F7.1): kept for everyone, delivered live to those online."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.principal import Principal
from gql_crm.db.base import core_table
from gql_crm.db.models import Message, MessageRecipient, User
from gql_crm.db.pagination import SortKey
from gql_crm.services.errors import NotFound, Problems
from gql_crm.services.unit_of_work import UnitOfWork
from gql_crm.subscriptions.bus import user_channel

MAX_RECIPIENTS = 500
MAX_MESSAGES = 100
# Recipients of all the messages of one call: their ids are bound as parameters of one
# statement, far below what PostgreSQL (32,767) and SQLite (32,766) take.
MAX_RECIPIENTS_PER_CALL = 5000
ORDER = (SortKey(Message.id, descending=True),)

_ACTIVE_AMONG = select(User.id).where(
    User.id.in_(bindparam("ids", expanding=True)),
    User.is_active.is_(True),
    User.deleted_at.is_(None),
)
_INSERT_MESSAGES = insert(core_table(Message)).returning(
    core_table(Message).c.id, sort_by_parameter_order=True
)
_INSERT_RECIPIENTS = insert(core_table(MessageRecipient))


@dataclass(frozen=True, slots=True)
class MessageDraft:
    recipient_ids: list[int]
    subject: str
    body: str


async def send_message(
    uow: UnitOfWork, recipient_ids: list[int], subject: str, body: str
) -> Message:
    [message] = await send_messages(
        uow, [MessageDraft(recipient_ids, subject, body)], field_prefix=""
    )
    return message


async def send_drafts(uow: UnitOfWork, messages: list[dict[str, Any]]) -> list[Message]:
    """``send_messages`` for drafts given as field values (one mutation's input)."""
    return await send_messages(uow, [MessageDraft(**m) for m in messages])


async def send_messages(
    uow: UnitOfWork, drafts: list[MessageDraft], *, field_prefix: str = "messages"
) -> list[Message]:
    """Send each draft as its own message, in one transaction: all are sent, or none.

    Problems name the draft (``messages[2].subject``) unless ``field_prefix`` is empty.
    """
    problems = Problems()
    if not drafts:
        problems.add(field_prefix or "messages", "give at least one message")
    if len(drafts) > MAX_MESSAGES:
        problems.add(field_prefix or "messages", f"at most {MAX_MESSAGES} messages per call")
    recipients_of = [list(dict.fromkeys(draft.recipient_ids)) for draft in drafts]
    if sum(map(len, recipients_of)) > MAX_RECIPIENTS_PER_CALL:
        problems.add(
            field_prefix or "messages",
            f"at most {MAX_RECIPIENTS_PER_CALL} recipients in all the messages of one call",
        )
    fields = [f"{field_prefix}[{i}]." if field_prefix else "" for i in range(len(drafts))]
    for recipients, at in zip(recipients_of, fields, strict=True):
        if not recipients:
            problems.add(f"{at}recipientIds", "name at least one recipient")
        if len(recipients) > MAX_RECIPIENTS:
            problems.add(f"{at}recipientIds", f"at most {MAX_RECIPIENTS} recipients per message")
    problems.raise_if_any()
    named = list(dict.fromkeys(uid for recipients in recipients_of for uid in recipients))
    active = set(await uow.session.scalars(_ACTIVE_AMONG, {"ids": named}))
    for recipients, at in zip(recipients_of, fields, strict=True):
        if unknown := [uid for uid in recipients if uid not in active]:
            problems.add(
                f"{at}recipientIds", f"no active user with id {', '.join(map(str, unknown))}"
            )
    problems.raise_if_any()
    # Core INSERTs, two for the whole batch: the ORM's flush bookkeeping was most of this
    # mutation's cost, and messages are sent at rates where that counts.
    sender_id = uow.principal.user_id
    messages = [
        Message(sender_id=sender_id, subject=d.subject.strip(), body=d.body, created_at=uow.now)
        for d in drafts
    ]
    ids = await uow.session.scalars(
        _INSERT_MESSAGES,
        [
            {"sender_id": sender_id, "subject": m.subject, "body": m.body, "created_at": uow.now}
            for m in messages
        ],
    )
    for message, message_id in zip(messages, ids, strict=True):
        message.id = message_id
    await uow.session.execute(
        _INSERT_RECIPIENTS,
        [
            {"message_id": message.id, "user_id": uid}
            for message, recipients in zip(messages, recipients_of, strict=True)
            for uid in recipients
        ],
    )
    for message, recipients in zip(messages, recipients_of, strict=True):
        payload = {
            "id": message.id,
            "senderId": sender_id,
            "subject": message.subject,
            "body": message.body,
            "createdAt": uow.now.isoformat(),
        }
        for uid in recipients:
            uow.emit(user_channel(uid), "message.received", message.id, payload)
    return messages


def inbox_query(principal: Principal, *, unread_only: bool) -> Select[Message]:
    stmt = (
        select(Message)
        .join(MessageRecipient, MessageRecipient.message_id == Message.id)
        .where(MessageRecipient.user_id == principal.user_id)
    )
    if unread_only:
        stmt = stmt.where(MessageRecipient.read_at.is_(None))
    return stmt


async def unread_count(session: AsyncSession, principal: Principal) -> int:
    stmt = select(func.count()).where(
        MessageRecipient.user_id == principal.user_id, MessageRecipient.read_at.is_(None)
    )
    return int(await session.scalar(stmt) or 0)


def sent_query(principal: Principal) -> Select[Message]:
    return select(Message).where(Message.sender_id == principal.user_id)


async def mark_message_read(uow: UnitOfWork, id: int) -> Message:
    receipt = await uow.session.get(MessageRecipient, (id, uow.principal.user_id))
    message = await uow.session.get(Message, id)
    if receipt is None or message is None:
        raise NotFound("Message", id)
    if receipt.read_at is None:
        receipt.read_at = uow.now
    return message
