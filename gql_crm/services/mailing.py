"""E-mail and SMS to customers' contacts: bulk mailings to the contacts of any customers
the sender may list (the customer list's own filters, within scope), or to hand-picked
contacts, and single messages from the customer view.

A template's merge fields ({customer_name}, {contact_name}, {owner_name}) are filled per
recipient. Contacts without an address, repeats of an address and contacts who opted out
are skipped and counted. Each recipient becomes one outbox row (``services/outbox.py``),
written with the mailing in one transaction, so its status is the delivery's; a delivered
message is recorded in its customer's history (the operation log), and every settled batch
is pushed live to the sender. Senders are held to a daily number of messages, set per user
by an administrator (``message_daily_limit`` by default).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import aliased

from gql_crm.auth.masking import MASKS, Mask, sees_customer_details
from gql_crm.auth.permissions import Advanced
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.models import Contact, Customer, User
from gql_crm.db.models.mailing import Channel, ContactOptOut, Mailing, MessageLimit
from gql_crm.db.models.outbox import OutboxMessage, OutboxStatus
from gql_crm.db.pagination import SortKey
from gql_crm.services import outbox, sending
from gql_crm.services.customer import CustomerFilter, customer_query
from gql_crm.services.errors import InvalidInput, NotFound, Problems
from gql_crm.services.report import company_today, day_bounds
from gql_crm.services.setting import get_settings
from gql_crm.services.unit_of_work import UnitOfWork

SEND_BULK = Advanced.SEND_BULK_MESSAGES
ORDER = (SortKey(Mailing.id, True),)
RECIPIENT_ORDER = (SortKey(OutboxMessage.id),)
MERGE_FIELDS = ("customer_name", "contact_name", "owner_name")
_FIELD = re.compile(r"\{(\w+)\}")
_KINDS = (sending.EMAIL, sending.SMS)
PREVIEW_SAMPLES = 5


@dataclass(frozen=True, slots=True)
class Audience:
    """Whom a mailing goes to: the primary (or all) contacts of the customers matching
    ``filter``, or the hand-picked ``contact_ids``."""

    filter: CustomerFilter | None = None
    all_contacts: bool = False
    contact_ids: Sequence[int] | None = None

    def described(self) -> dict[str, Any]:
        if self.contact_ids is not None:
            return {"contactIds": list(self.contact_ids)}
        given = dataclasses.asdict(self.filter or CustomerFilter())
        chosen = {k: str(v) for k, v in given.items() if v is not None}
        return {"filter": chosen, "contacts": "all" if self.all_contacts else "primary"}


@dataclass(frozen=True, slots=True)
class Draft:
    channel: Channel
    body: str
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    customer_id: int
    contact_id: int
    owner_id: int | None
    to: str
    subject: str | None
    body: str


@dataclass(slots=True)
class Recipients:
    chosen: list[Recipient] = field(default_factory=list)
    no_address: int = 0
    duplicate: int = 0
    opted_out: int = 0


def render(template: str, values: dict[str, str]) -> str:
    return _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _template_problems(draft: Draft, problems: Problems) -> None:
    for name, text in (("body", draft.body), ("subject", draft.subject or "")):
        if unknown := sorted(set(_FIELD.findall(text)) - set(MERGE_FIELDS)):
            problems.add(
                name,
                f"unknown merge fields: {', '.join(unknown)} (use {', '.join(MERGE_FIELDS)})",
            )
    if not draft.body.strip():
        problems.add("body", "must not be blank")
    if draft.channel is Channel.EMAIL and not (draft.subject or "").strip():
        problems.add("subject", "an e-mail needs a subject")


def _contacts(principal: Principal, audience: Audience, channel: Channel) -> Any:
    owner = aliased(User)
    opted_out = exists().where(
        ContactOptOut.contact_id == Contact.id, ContactOptOut.channel == channel
    )
    stmt = (
        select(
            Contact.id,
            Contact.name,
            Contact.email,
            Contact.mobile,
            Customer.id.label("cid"),
            Customer.name.label("customer_name"),
            Customer.owner_id,
            owner.name.label("owner_name"),
            opted_out.label("opted_out"),
        )
        .join(Customer, Contact.customer_id == Customer.id)
        .outerjoin(owner, Customer.owner_id == owner.id)
        .order_by(Customer.id, Contact.id)
    )
    if audience.contact_ids is not None:
        return stmt.where(Contact.id.in_(audience.contact_ids), visibility.customer(principal))
    customers = customer_query(principal, audience.filter or CustomerFilter())
    stmt = stmt.where(Customer.id.in_(customers.with_only_columns(Customer.id)))
    return stmt if audience.all_contacts else stmt.where(Contact.is_primary.is_(True))


async def recipients(uow: UnitOfWork, audience: Audience, draft: Draft) -> Recipients:
    """The messages the audience gives, each rendered, with the skipped counted."""
    found = Recipients()
    rows = (await uow.session.execute(_contacts(uow.principal, audience, draft.channel))).all()
    if audience.contact_ids is not None:
        missing = sorted(set(audience.contact_ids) - {row.id for row in rows})
        if missing:
            raise NotFound("Contact", missing[0])
    seen: set[str] = set()
    for row in rows:
        raw = row.email if draft.channel is Channel.EMAIL else row.mobile
        address = (raw or "").strip()
        if not address:
            found.no_address += 1
            continue
        if row.opted_out:
            found.opted_out += 1
            continue
        if address.lower() in seen:
            found.duplicate += 1
            continue
        seen.add(address.lower())
        values = {
            "customer_name": row.customer_name,
            "contact_name": row.name,
            "owner_name": row.owner_name or "",
        }
        subject = render(draft.subject, values) if draft.subject else None
        found.chosen.append(
            Recipient(row.cid, row.id, row.owner_id, address, subject, render(draft.body, values))
        )
    return found


def _checked(draft: Draft) -> None:
    problems = Problems()
    _template_problems(draft, problems)
    problems.raise_if_any()


def masked_to(principal: Principal, recipient: Recipient, channel: Channel) -> str:
    if sees_customer_details(principal, recipient.owner_id, ()):
        return recipient.to
    mask = MASKS[Mask.EMAIL if channel is Channel.EMAIL else Mask.PHONE]
    return mask(recipient.to) or ""


async def preview(uow: UnitOfWork, audience: Audience, draft: Draft) -> Recipients:
    """The recipients as sending would choose them; nothing is written."""
    _checked(draft)
    return await recipients(uow, audience, draft)


async def _daily_limit(uow: UnitOfWork, adding: int) -> None:
    principal = uow.principal
    limit = await uow.session.scalar(
        select(MessageLimit.daily_limit).where(MessageLimit.user_id == principal.user_id)
    )
    if limit is None:
        limit = uow.services.settings.message_daily_limit
    timezone = (await get_settings(uow.session)).timezone
    start, end = day_bounds(company_today(uow.now, timezone), timezone)
    sent_today = await uow.session.scalar(
        select(func.coalesce(func.sum(Mailing.queued), 0)).where(
            Mailing.created_by_id == principal.user_id,
            Mailing.created_at >= start,
            Mailing.created_at < end,
        )
    )
    if int(sent_today or 0) + adding > limit:
        raise InvalidInput.single(
            "audience",
            f"over your daily limit of {limit} messages: {sent_today} sent today, "
            f"{adding} more asked for",
        )


async def send(
    uow: UnitOfWork, audience: Audience, draft: Draft, send_at: datetime | None = None
) -> Mailing:
    """Queue the mailing: one outbox row per recipient, due at ``send_at`` (default now)."""
    _checked(draft)
    if send_at is not None and send_at < uow.now:
        raise InvalidInput.single("sendAt", "must not be in the past")
    found = await recipients(uow, audience, draft)
    if not found.chosen:
        raise InvalidInput.single("audience", "no contact to send to")
    await _daily_limit(uow, len(found.chosen))
    due = send_at or uow.now
    mailing = await uow.add(
        "mailing",
        Mailing(
            channel=draft.channel, subject=draft.subject, body=draft.body,
            audience=audience.described(), send_at=due, queued=len(found.chosen),
            skipped_no_address=found.no_address, skipped_duplicate=found.duplicate,
            skipped_opted_out=found.opted_out,
        ),
        channel=str(draft.channel), queued=len(found.chosen),
    )  # fmt: skip
    kind = sending.EMAIL if draft.channel is Channel.EMAIL else sending.SMS
    settings = uow.services.settings
    await outbox.enqueue(
        uow,
        kind,
        [
            {
                "key": sending.message_id(settings) if kind == sending.EMAIL else sending.sms_id(),
                "target_id": mailing.id,
                "due_at": due,
                "payload": {
                    "to": r.to,
                    "subject": r.subject,
                    "body": r.body,
                    "customerId": r.customer_id,
                    "contactId": r.contact_id,
                    "mailingId": mailing.id,
                },
            }
            for r in found.chosen
        ],
    )
    return mailing


async def send_one(uow: UnitOfWork, contact_id: int, draft: Draft) -> Mailing:
    """A single message to one contact of a customer the caller may see."""
    return await send(uow, Audience(contact_ids=[contact_id]), draft)


async def resend_failed(uow: UnitOfWork, id: int) -> Mailing:
    mailing = await uow.find(Mailing, id, visibility.mailing(uow.principal))
    failed = await uow.session.scalars(
        select(OutboxMessage.id).where(
            OutboxMessage.kind.in_(_KINDS),
            OutboxMessage.target_id == mailing.id,
            OutboxMessage.status == OutboxStatus.FAILED,
        )
    )
    ids = list(failed)
    if not ids:
        raise InvalidInput.single("id", "no failed message to send again")
    await outbox.requeue(uow, ids)
    uow.log("mailing", mailing.id, "resend_failed", {"messages": [None, len(ids)]})
    return mailing


async def set_daily_limit(uow: UnitOfWork, user_id: int, limit: int | None) -> int:
    """An administrator's cap for one user (None: back to the default)."""
    if limit is not None and limit < 0:
        raise InvalidInput.single("limit", "must not be negative")
    if await uow.session.get(User, user_id) is None:
        raise NotFound("User", user_id)
    row = await uow.session.scalar(select(MessageLimit).where(MessageLimit.user_id == user_id))
    if limit is None:
        if row is not None:
            await uow.session.delete(row)
    elif row is None:
        uow.session.add(MessageLimit(user_id=user_id, daily_limit=limit))
    else:
        row.daily_limit = limit
    uow.log("user", user_id, "message_limit", {"dailyLimit": [None, limit]})
    return user_id


async def set_opt_out(uow: UnitOfWork, contact_id: int, channel: Channel, opted_out: bool) -> int:
    """Record (or lift) a contact's wish not to receive this kind of message."""
    contact = await uow.find(Contact, contact_id, _contact_visible(uow.principal))
    row = await uow.session.scalar(
        select(ContactOptOut).where(
            ContactOptOut.contact_id == contact.id, ContactOptOut.channel == channel
        )
    )
    if opted_out and row is None:
        uow.session.add(ContactOptOut(contact_id=contact.id, channel=channel, created_at=uow.now))
    elif not opted_out and row is not None:
        await uow.session.delete(row)
    uow.log("customer", contact.customer_id, "opt_out" if opted_out else "opt_in",
            {"channel": [None, str(channel)]})  # fmt: skip
    return contact.id


def _contact_visible(principal: Principal) -> Any:
    return Contact.customer_id.in_(select(Customer.id).where(visibility.customer(principal)))


def mailing_list(principal: Principal) -> Select[Mailing]:
    return select(Mailing).where(visibility.mailing(principal))


def recipient_list(
    principal: Principal, mailing_id: int, status: OutboxStatus | None = None
) -> Select[OutboxMessage]:
    stmt = select(OutboxMessage).where(
        OutboxMessage.kind.in_(_KINDS),
        OutboxMessage.target_id.in_(
            select(Mailing.id).where(Mailing.id == mailing_id, visibility.mailing(principal))
        ),
    )
    return stmt if status is None else stmt.where(OutboxMessage.status == status)


async def counts(database: Any, mailing_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Recipients per status, per mailing: one statement for all of them."""
    stmt = (
        select(OutboxMessage.target_id, OutboxMessage.status, func.count())
        .where(OutboxMessage.kind.in_(_KINDS), OutboxMessage.target_id.in_(mailing_ids))
        .group_by(OutboxMessage.target_id, OutboxMessage.status)
    )
    found: dict[int, dict[str, int]] = {i: {} for i in mailing_ids}
    async with database.reader() as session:
        for target_id, status, n in (await session.execute(stmt)).all():
            found[target_id][str(status)] = n
    return found


# ---- what a settled message changes -------------------------------------------------------

MAILING_EVENT = "mailing.progress"
_HISTORY = "mailing.history"
TOPIC = "mailings"


def can_watch(principal: Principal, payload: dict[str, Any]) -> bool:
    """The Python twin of ``visibility.mailing`` for one event."""
    return principal.can_see_owner(payload["senderId"])


async def _settled(
    uow: UnitOfWork, message: outbox.Claimed, outcome: outbox.Outcome, final: bool
) -> None:
    payload = message.payload
    mailing_id = payload.get("mailingId")
    customer_id = payload.get("customerId")
    if customer_id and (outcome.delivered or outcome.bounced):
        changes: dict[str, Any] = {"channel": [None, message.kind]}
        if outcome.delivered:
            action = "message_sent"
            changes["subject"] = [None, payload.get("subject")]
        else:
            action = "message_bounced"
            changes["contactId"] = [None, payload.get("contactId")]
            changes["reason"] = [None, outcome.error]
        changes["mailingId"] = [None, mailing_id]
        history = uow.pending.setdefault(_HISTORY, [])
        if not history:
            uow.before_commit(_HISTORY, lambda: _write_history(uow))
        history.append((action, (customer_id, changes)))
    if mailing_id is None:
        return
    # One hint per mailing and batch: the subscriber reads the counts again.
    staged = uow.pending.setdefault(MAILING_EVENT, [])
    if mailing_id in staged:
        return
    staged.append(mailing_id)
    sender = await uow.session.scalar(select(Mailing.created_by_id).where(Mailing.id == mailing_id))
    if sender is not None:
        payload = {"mailingId": mailing_id, "senderId": sender}
        uow.emit(TOPIC, MAILING_EVENT, mailing_id, payload)


async def _write_history(uow: UnitOfWork) -> None:
    """The customers' history of a settled batch: one INSERT per kind of entry."""
    entries: list[tuple[str, tuple[int, dict[str, Any]]]] = uow.pending.pop(_HISTORY, [])
    for action in sorted({action for action, _ in entries}):
        await uow.log_many("customer", action, [e for a, e in entries if a == action])


sending.on_settled(_settled)
