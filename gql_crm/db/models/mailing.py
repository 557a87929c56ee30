"""Messages to customers' contacts (``services/mailing.py``): a mailing is one e-mail or
SMS to a group of contacts (or to one: a single message); each recipient is an outbox row
whose target is the mailing, so its status is the outbox's."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, Record, reference, str_enum


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"


class Mailing(Record, Base):
    __tablename__ = "mailings"
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 8), doc="E-mail or SMS.")
    subject: Mapped[str | None] = mapped_column(
        String(200), doc="The e-mail's subject (a template too); SMS have none."
    )
    body: Mapped[str] = mapped_column(Text, doc="The message's template, with merge fields.")
    # The recipients as chosen: {"filter": {...}, "contacts": "primary" | "all"} or
    # {"contactIds": [...]}.
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)
    send_at: Mapped[datetime] = mapped_column(doc="When sending starts.")
    queued: Mapped[int] = mapped_column(doc="Messages queued, one per recipient.")
    skipped_no_address: Mapped[int] = mapped_column(doc="Contacts skipped: no address.")
    skipped_duplicate: Mapped[int] = mapped_column(
        doc="Contacts skipped: an address already among the recipients."
    )
    skipped_opted_out: Mapped[int] = mapped_column(
        doc="Contacts skipped: they asked not to receive this kind of message."
    )


class ContactOptOut(Base):
    """A contact who asked not to receive e-mail or SMS (skipped by mailings)."""

    __tablename__ = "contact_opt_outs"
    __table_args__ = (UniqueConstraint("contact_id", "channel"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = reference("contacts", "CASCADE")
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 8))
    created_at: Mapped[datetime]


class MessageLimit(Base):
    """A user's daily cap on messages sent to customers, set by an administrator (without
    one, the configured default holds)."""

    __tablename__ = "message_limits"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    daily_limit: Mapped[int]
