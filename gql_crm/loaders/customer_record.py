"""Customer records per customer: one windowed statement per kind per level."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, case

from gql_crm.db.engine import Reads
from gql_crm.db.models import (
    CallRecord,
    Complaint,
    ComplaintStatus,
    CustomerNote,
    Schedule,
    ServiceRecord,
    Task,
)
from gql_crm.db.pagination import Page, SortKey
from gql_crm.loaders.base import Loader, LoaderSet, loader
from gql_crm.loaders.batch import Children, Slice, pages


def _live_records(model: Any, order: list[SortKey]) -> Children:
    """A customer's live (not deleted) records."""
    return Children(model.customer_id, order, where=(model.deleted_at.is_(None),))


# The orders a customer view lists them in (also read by compiled reads, direct/compiled_graph.py).
# Open tasks first, then by due time.
TASK_ORDER = [SortKey(Task.done), SortKey(Task.due_at), SortKey(Task.id)]
NOTE_ORDER = [SortKey(CustomerNote.created_at, True), SortKey(CustomerNote.id, True)]
# Unprocessed first, newest first.
CALL_ORDER = [
    SortKey(CallRecord.processed),
    SortKey(CallRecord.called_at, True),
    SortKey(CallRecord.id, True),
]
# Unresolved first, newest first.
COMPLAINT_ORDER = [
    SortKey(case((Complaint.status == ComplaintStatus.RESOLVED, 1), else_=0)),
    SortKey(Complaint.complained_at, True),
    SortKey(Complaint.id, True),
]
SERVICE_ORDER = [SortKey(ServiceRecord.served_at, True), SortKey(ServiceRecord.id, True)]


def schedule_order(now: ColumnElement[Any]) -> list[SortKey]:
    """Upcoming first (soonest first), then past ones (latest first)."""
    upcoming = Schedule.starts_at >= now
    return [
        SortKey(case((upcoming, 0), else_=1)),
        SortKey(case((upcoming, Schedule.starts_at), else_=None), nullable=True),
        SortKey(Schedule.starts_at, True),
        SortKey(Schedule.id),
    ]


CUSTOMER_TASKS = _live_records(Task, TASK_ORDER)
CUSTOMER_NOTES = _live_records(CustomerNote, NOTE_ORDER)
CUSTOMER_CALLS = _live_records(CallRecord, CALL_ORDER)
CUSTOMER_COMPLAINTS = _live_records(Complaint, COMPLAINT_ORDER)
CUSTOMER_SERVICES = _live_records(ServiceRecord, SERVICE_ORDER)
load_tasks = pages(CUSTOMER_TASKS)
load_notes = pages(CUSTOMER_NOTES)
load_calls = pages(CUSTOMER_CALLS)
load_complaints = pages(CUSTOMER_COMPLAINTS)
load_services = pages(CUSTOMER_SERVICES)
_load_schedules = pages(
    _live_records(Schedule, schedule_order(bindparam("now", type_=Schedule.starts_at.type)))
)


async def load_schedules(
    database: Reads, keys: Sequence[tuple[Slice, datetime]]
) -> list[Page[Schedule]]:
    """Keys: (the page, now); one request asks with one ``now``."""
    now = min(key[1] for key in keys)
    return await _load_schedules(database, [key[0] for key in keys], now=now)


class CustomerRecordLoaders(LoaderSet):
    # Pages of a customer's live records.
    customer_tasks: Loader[Slice, Page[Task]] = loader(load_tasks)
    # Keys: (the page, now to the minute).
    customer_schedules: Loader[tuple[Slice, datetime], Page[Schedule]] = loader(load_schedules)
    customer_notes: Loader[Slice, Page[CustomerNote]] = loader(load_notes)
    customer_calls: Loader[Slice, Page[CallRecord]] = loader(load_calls)
    customer_complaints: Loader[Slice, Page[Complaint]] = loader(load_complaints)
    customer_services: Loader[Slice, Page[ServiceRecord]] = loader(load_services)
