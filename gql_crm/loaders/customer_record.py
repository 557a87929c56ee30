"""Customer records per customer: one windowed statement per kind per level."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case

from gql_crm.db.engine import Database
from gql_crm.db.models import (
    CallRecord,
    Complaint,
    ComplaintStatus,
    CustomerNote,
    Schedule,
    ServiceRecord,
    Task,
)
from gql_crm.loaders.batch import first_per_parent

Keys = Sequence[tuple[int, int]]


async def load_tasks(database: Database, keys: Keys) -> list[list[Task]]:
    """Open tasks first, then by due time."""
    order: list[ColumnElement[Any]] = [Task.done.asc(), Task.due_at.asc(), Task.id.asc()]
    return await first_per_parent(
        database, Task, Task.customer_id, order, keys, Task.deleted_at.is_(None)
    )


async def load_schedules(
    database: Database, keys: Sequence[tuple[int, int, datetime]]
) -> list[list[Schedule]]:
    """Upcoming first (soonest first), then past ones (latest first).

    Keys: (customer id, how many, now); one request asks with one ``now``.
    """
    now = min(key[2] for key in keys)
    upcoming = Schedule.starts_at >= now
    order: list[ColumnElement[Any]] = [
        case((upcoming, 0), else_=1),
        case((upcoming, Schedule.starts_at), else_=None).asc(),
        Schedule.starts_at.desc(),
        Schedule.id.asc(),
    ]
    return await first_per_parent(
        database,
        Schedule,
        Schedule.customer_id,
        order,
        [(customer_id, limit) for customer_id, limit, _ in keys],
        Schedule.deleted_at.is_(None),
    )


async def load_notes(database: Database, keys: Keys) -> list[list[CustomerNote]]:
    order: list[ColumnElement[Any]] = [CustomerNote.created_at.desc(), CustomerNote.id.desc()]
    return await first_per_parent(
        database,
        CustomerNote,
        CustomerNote.customer_id,
        order,
        keys,
        CustomerNote.deleted_at.is_(None),
    )


async def load_calls(database: Database, keys: Keys) -> list[list[CallRecord]]:
    """Unprocessed first, newest first."""
    order: list[ColumnElement[Any]] = [
        CallRecord.processed.asc(),
        CallRecord.called_at.desc(),
        CallRecord.id.desc(),
    ]
    return await first_per_parent(
        database, CallRecord, CallRecord.customer_id, order, keys, CallRecord.deleted_at.is_(None)
    )


async def load_complaints(database: Database, keys: Keys) -> list[list[Complaint]]:
    """Unresolved first, newest first."""
    order: list[ColumnElement[Any]] = [
        case((Complaint.status == ComplaintStatus.RESOLVED, 1), else_=0),
        Complaint.complained_at.desc(),
        Complaint.id.desc(),
    ]
    return await first_per_parent(
        database, Complaint, Complaint.customer_id, order, keys, Complaint.deleted_at.is_(None)
    )


async def load_services(database: Database, keys: Keys) -> list[list[ServiceRecord]]:
    order: list[ColumnElement[Any]] = [ServiceRecord.served_at.desc(), ServiceRecord.id.desc()]
    return await first_per_parent(
        database,
        ServiceRecord,
        ServiceRecord.customer_id,
        order,
        keys,
        ServiceRecord.deleted_at.is_(None),
    )
