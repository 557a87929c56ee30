"""The outbox: messages leaving the system (webhook deliveries, e-mails, SMS), written in the
same transaction as the change that causes them and delivered afterwards by the workers
(``services/outbox.py``), with every attempt logged."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, reference, str_enum


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its first or next attempt
    SENDING = "sending"  # claimed by a worker until next_attempt_at (its lease)
    DELIVERED = "delivered"
    FAILED = "failed"  # given up: out of attempts, or refused for good
    # The recipient's address refused for good (an SMTP 5xx to RCPT or DATA, an SMS
    # provider's "invalid number"): never retried, not even by a resend of failed ones.
    BOUNCED = "bounced"


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Which handler delivers it: "webhook", "email", "sms".
    kind: Mapped[str] = mapped_column(String(16))
    # The idempotency key the receiver sees (webhook-id, Message-ID): the same on every
    # attempt, so a delivery repeated after a crash is recognised as the same one.
    key: Mapped[str] = mapped_column(
        String(100), unique=True, doc="The id the receiver sees, the same on every attempt."
    )
    # The handler's target (a webhook endpoint's id), if it has one.
    target_id: Mapped[int | None] = mapped_column(index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, 16), doc="Where the delivery stands."
    )
    attempts: Mapped[int] = mapped_column(default=0, doc="Attempts made so far.")
    # When it is due; while SENDING, when the claim expires and another worker may retry.
    next_attempt_at: Mapped[datetime] = mapped_column(
        doc="When the next attempt is due (while sending: when a stalled attempt is retried)."
    )
    last_error: Mapped[str | None] = mapped_column(
        Text, doc="Why the last attempt failed (null: it did not)."
    )
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None] = mapped_column(doc="When it was delivered.")


class OutboxAttempt(Base):
    """One attempt to deliver a message: what came back and how long it took."""

    __tablename__ = "outbox_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = reference("outbox", "CASCADE")
    attempt: Mapped[int] = mapped_column(doc="1 for the first attempt, and so on.")
    started_at: Mapped[datetime] = mapped_column(doc="When the attempt was settled.")
    delivered: Mapped[bool] = mapped_column(doc="Whether the receiver accepted it.")
    status_code: Mapped[int | None] = mapped_column(
        doc="The receiver's HTTP status (null: no answer, or not HTTP)."
    )
    response_ms: Mapped[int] = mapped_column(doc="How long the attempt took, in milliseconds.")
    error: Mapped[str | None] = mapped_column(Text, doc="Why it failed (null: it did not).")
    next_attempt_at: Mapped[datetime | None] = mapped_column(
        doc="When the next attempt is due (null: none will follow)."
    )
