"""Internal messages (F7.1): kept for everyone, delivered live to those online."""

from __future__ import annotations

from sqlalchemy import Select, select

from gql_crm.auth.principal import Principal
from gql_crm.db.models import Message, MessageRecipient, User
from gql_crm.services.errors import InvalidInput, NotFound, Problems
from gql_crm.services.unit_of_work import UnitOfWork
from gql_crm.services.validation import text_problem
from gql_crm.subscriptions.bus import user_channel

MAX_RECIPIENTS = 500


async def send_message(
    uow: UnitOfWork, recipient_ids: list[int], subject: str, body: str
) -> Message:
    sender = uow.principal
    problems = Problems()
    recipients = list(dict.fromkeys(recipient_ids))
    if not recipients:
        problems.add("recipientIds", "name at least one recipient")
    if len(recipients) > MAX_RECIPIENTS:
        problems.add("recipientIds", f"at most {MAX_RECIPIENTS} recipients per message")
    if p := text_problem(subject, max_length=200):
        problems.add("subject", p)
    if p := text_problem(body, max_length=20000):
        problems.add("body", p)
    problems.raise_if_any()
    active = set(
        await uow.session.scalars(
            select(User.id).where(
                User.id.in_(recipients), User.is_active.is_(True), User.deleted_at.is_(None)
            )
        )
    )
    if unknown := [uid for uid in recipients if uid not in active]:
        raise InvalidInput.single(
            "recipientIds", f"no active user with id {', '.join(map(str, unknown))}"
        )
    message = Message(
        sender_id=sender.user_id, subject=subject.strip(), body=body, created_at=uow.now
    )
    uow.session.add(message)
    await uow.session.flush()
    uow.session.add_all(MessageRecipient(message_id=message.id, user_id=uid) for uid in recipients)
    payload = {
        "id": message.id,
        "senderId": sender.user_id,
        "subject": message.subject,
        "body": message.body,
        "createdAt": uow.now.isoformat(),
    }
    for uid in recipients:
        uow.emit(user_channel(uid), "message.received", message.id, payload)
    return message


def inbox_query(principal: Principal, *, unread_only: bool) -> Select[Message]:
    stmt = (
        select(Message)
        .join(MessageRecipient, MessageRecipient.message_id == Message.id)
        .where(MessageRecipient.user_id == principal.user_id)
    )
    if unread_only:
        stmt = stmt.where(MessageRecipient.read_at.is_(None))
    return stmt


def sent_query(principal: Principal) -> Select[Message]:
    return select(Message).where(Message.sender_id == principal.user_id)


async def mark_message_read(uow: UnitOfWork, message_id: int) -> Message:
    receipt = await uow.session.get(MessageRecipient, (message_id, uow.principal.user_id))
    message = await uow.session.get(Message, message_id)
    if receipt is None or message is None:
        raise NotFound("Message", message_id)
    if receipt.read_at is None:
        receipt.read_at = uow.now
    return message
