"""Customer records per customer: one windowed statement per kind per level."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

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
from gql_crm.loaders.base import Loader, LoaderSet, loader
from gql_crm.loaders.batch import first_per_parent, windowed

Keys = Sequence[tuple[int, int]]
R = TypeVar("R")


def _live_records(
    model: type[R], order_by: list[ColumnElement[Any]]
) -> Callable[..., Awaitable[list[list[R]]]]:
    """A loader of the first live (not deleted) records per (customer id, how many)."""
    stmt = windowed(
        model,
        model.customer_id,  # type: ignore[attr-defined]
        order_by,
        model.deleted_at.is_(None),  # type: ignore[attr-defined]
    )

    async def load(database: Reads, keys: Keys, **parameters: Any) -> list[list[R]]:
        return await first_per_parent(database, stmt, "customer_id", keys, **parameters)

    return load


# The orders a customer view lists them in (also read by compiled reads, direct/compiled_graph.py).
# Open tasks first, then by due time.
TASK_ORDER: list[ColumnElement[Any]] = [Task.done.asc(), Task.due_at.asc(), Task.id.asc()]
NOTE_ORDER: list[ColumnElement[Any]] = [CustomerNote.created_at.desc(), CustomerNote.id.desc()]
# Unprocessed first, newest first.
CALL_ORDER: list[ColumnElement[Any]] = [
    CallRecord.processed.asc(),
    CallRecord.called_at.desc(),
    CallRecord.id.desc(),
]
# Unresolved first, newest first.
COMPLAINT_ORDER: list[ColumnElement[Any]] = [
    case((Complaint.status == ComplaintStatus.RESOLVED, 1), else_=0),
    Complaint.complained_at.desc(),
    Complaint.id.desc(),
]
SERVICE_ORDER: list[ColumnElement[Any]] = [ServiceRecord.served_at.desc(), ServiceRecord.id.desc()]


def schedule_order(now: ColumnElement[Any]) -> list[ColumnElement[Any]]:
    """Upcoming first (soonest first), then past ones (latest first)."""
    upcoming = Schedule.starts_at >= now
    return [
        case((upcoming, 0), else_=1),
        case((upcoming, Schedule.starts_at), else_=None).asc(),
        Schedule.starts_at.desc(),
        Schedule.id.asc(),
    ]


load_tasks = _live_records(Task, TASK_ORDER)
load_notes = _live_records(CustomerNote, NOTE_ORDER)
load_calls = _live_records(CallRecord, CALL_ORDER)
load_complaints = _live_records(Complaint, COMPLAINT_ORDER)
load_services = _live_records(ServiceRecord, SERVICE_ORDER)
_load_schedules = _live_records(Schedule, schedule_order(bindparam("now")))


async def load_schedules(
    database: Reads, keys: Sequence[tuple[int, int, datetime]]
) -> list[list[Schedule]]:
    """Keys: (customer id, how many, now); one request asks with one ``now``."""
    now = min(key[2] for key in keys)
    limits = [(customer_id, limit) for customer_id, limit, _ in keys]
    return await _load_schedules(database, limits, now=now)


class CustomerRecordLoaders(LoaderSet):
    # Customer records per (customer id, how many); live records only.
    customer_tasks: Loader[tuple[int, int], list[Task]] = loader(load_tasks)
    # Keys: (customer id, how many, now to the minute).
    customer_schedules: Loader[tuple[int, int, datetime], list[Schedule]] = loader(load_schedules)
    customer_notes: Loader[tuple[int, int], list[CustomerNote]] = loader(load_notes)
    customer_calls: Loader[tuple[int, int], list[CallRecord]] = loader(load_calls)
    customer_complaints: Loader[tuple[int, int], list[Complaint]] = loader(load_complaints)
    customer_services: Loader[tuple[int, int], list[ServiceRecord]] = loader(load_services)
