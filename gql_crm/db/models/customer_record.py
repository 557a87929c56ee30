"""Records kept with a customer as their context (F2.8, F4.1, F4.3-F4.5): to-do tasks,
schedules, notes, call records, complaints and service records.

Each has a responsible user (``owner_id``: the task's assignee, the schedule's owner, the
note's author, the call's handler, the complaint's handler, the service's handler) and goes
to its deleter's recycle bin when deleted (``deleted_at``/``deleted_by_id``).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.auth.masking import Mask, sensitive
from gql_crm.db.base import Base, reference, str_enum


class ComplaintStatus(enum.StrEnum):
    UNHANDLED = "unhandled"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


class _CustomerRecord:
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = reference("customers", "CASCADE")
    owner_id: Mapped[int | None] = reference("users")
    created_by_id: Mapped[int | None] = reference("users")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = reference("users")


def workbench_index(
    table: str, order: str, pending: str = "", tested: tuple[str, ...] = ()
) -> Index:
    """An owner's live records (still ``pending``: SQL over the table's columns) in the
    workbench's order: the first few come from the index, without reading the others.
    ``tested``: columns the workbench also tests, as the last keys, so that the rows they
    reject are rejected in the index without reading the table."""
    where = text("deleted_at IS NULL" + (f" AND {pending}" if pending else ""))
    keys = ("owner_id", order, "id", *tested)
    return Index(f"ix_{table}_workbench", *keys, sqlite_where=where, postgresql_where=where)


class Task(_CustomerRecord, Base):
    """A to-do (F4.1); ``owner_id`` is the assignee."""

    __tablename__ = "tasks"
    __table_args__ = (workbench_index("tasks", "due_at", "done IS false"),)

    content: Mapped[str] = mapped_column(Text, doc="What to do.")
    due_at: Mapped[datetime] = mapped_column(index=True, doc="When it is due.")
    remind_at: Mapped[datetime | None] = mapped_column(
        index=True, doc="When to remind its owner (null: no reminder)."
    )
    # When the reminder became a notification: each reminder fires once.
    reminded_at: Mapped[datetime | None]
    remind_by_sms: Mapped[bool] = mapped_column(
        default=False,
        server_default=false(),
        doc="Whether the reminder also comes by SMS to the owner's mobile phone.",
    )
    done: Mapped[bool] = mapped_column(default=False, doc="Whether it is done.")
    done_at: Mapped[datetime | None] = mapped_column(doc="When it was marked done.")
    # The customer's opportunity it is about, if any (the opportunity view lists it).
    opportunity_id: Mapped[int | None] = reference("opportunities", "SET NULL")


class Schedule(_CustomerRecord, Base):
    """An appointment in someone's calendar (F4.3)."""

    __tablename__ = "schedules"
    # The workbench reads appointments that have not ended, in start order: every past one
    # of the owner's is passed over on the way, in the index alone.
    __table_args__ = (workbench_index("schedules", "starts_at", tested=("ends_at",)),)

    title: Mapped[str] = mapped_column(String(200), doc="What the appointment is.")
    starts_at: Mapped[datetime] = mapped_column(index=True, doc="When it starts.")
    ends_at: Mapped[datetime] = mapped_column(doc="When it ends.")
    remind_at: Mapped[datetime | None] = mapped_column(
        index=True, doc="When to remind its owner (null: no reminder)."
    )
    reminded_at: Mapped[datetime | None]
    remind_by_sms: Mapped[bool] = mapped_column(
        default=False,
        server_default=false(),
        doc="Whether the reminder also comes by SMS to the owner's mobile phone.",
    )
    place: Mapped[str | None] = mapped_column(String(200), doc="Where.")
    content: Mapped[str | None] = mapped_column(Text, doc="Details.")
    # The customer's opportunity it is about, if any (the opportunity view lists it).
    opportunity_id: Mapped[int | None] = reference("opportunities", "SET NULL")


class CustomerNote(_CustomerRecord, Base):
    """A free note on the customer (F4.4); ``owner_id`` is the author."""

    __tablename__ = "customer_notes"

    content: Mapped[str] = mapped_column(Text, doc="The note.")


class CallRecord(_CustomerRecord, Base):
    """An incoming call to process (F4.5); ``owner_id`` is the handler."""

    __tablename__ = "call_records"
    __table_args__ = (workbench_index("call_records", "called_at", "processed IS false"),)

    caller_number: Mapped[str] = mapped_column(
        String(50), info=sensitive(Mask.PHONE), doc="The number that called."
    )
    called_at: Mapped[datetime] = mapped_column(doc="When the call came in.")
    content: Mapped[str] = mapped_column(Text, doc="What the caller wanted.")
    processed: Mapped[bool] = mapped_column(
        default=False, doc="Whether the call has been dealt with."
    )
    processed_at: Mapped[datetime | None] = mapped_column(doc="When it was marked processed.")


class Complaint(_CustomerRecord, Base):
    """A customer complaint (F2.8); ``owner_id`` is the member assigned to handle it."""

    __tablename__ = "complaints"
    __table_args__ = (workbench_index("complaints", "complained_at"),)

    complaint_type: Mapped[str] = mapped_column(String(100), doc="What the complaint is about.")
    channel: Mapped[str | None] = mapped_column(
        String(50), doc="How the complaint arrived (phone, e-mail, visit...)."
    )
    complained_at: Mapped[datetime] = mapped_column(doc="When the customer complained.")
    content: Mapped[str] = mapped_column(Text, doc="The complaint in the customer's words.")
    status: Mapped[ComplaintStatus] = mapped_column(
        str_enum(ComplaintStatus, 16),
        default=ComplaintStatus.UNHANDLED,
        doc="Where its handling stands.",
    )
    resolution: Mapped[str | None] = mapped_column(Text, doc="How it was resolved.")


class ServiceRecord(_CustomerRecord, Base):
    """A service given to the customer; ``owner_id`` is the handler."""

    __tablename__ = "service_records"

    service_type: Mapped[str] = mapped_column(String(100), doc="What kind of service.")
    served_at: Mapped[datetime] = mapped_column(doc="When the service was given.")
    content: Mapped[str] = mapped_column(Text, doc="What was done.")
