"""Records kept with a customer as their context (F2.8, F4.1, F4.3-F4.5): to-do tasks,
schedules, notes, call records, complaints and service records.

They are written by whoever may follow the customer up (its manager, or a colleague it is
shared with); invisible customers are 'not found', visible but foreign ones a conflict.
Deleting moves a record to its deleter's recycle bin; a record is hidden everywhere while it
is there or while its customer is.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.models import (
    CallRecord,
    Complaint,
    ComplaintStatus,
    Customer,
    CustomerNote,
    Schedule,
    ServiceRecord,
    Task,
)
from gql_crm.db.pagination import SortKey
from gql_crm.services import recycle_bin
from gql_crm.services.errors import Conflict, InvalidInput, NotFound
from gql_crm.services.follow_up import followable_customer
from gql_crm.services.opportunity import opportunity_problem
from gql_crm.services.records import Check, equal_to, ordered, owned
from gql_crm.services.unit_of_work import UnitOfWork


class RecordKind(enum.StrEnum):
    TASK = "task"
    SCHEDULE = "schedule"
    NOTE = "note"
    CALL = "call"
    COMPLAINT = "complaint"
    SERVICE = "service"


@dataclass(frozen=True, slots=True)
class Spec:
    model: Any
    entity: str  # operation-log entity type
    label: str  # for messages
    module: Module

    @property
    def create(self) -> str:
        return basic(self.module, Action.CREATE if self.module is Module.TASK else Action.EDIT)

    @property
    def edit(self) -> str:
        return basic(self.module, Action.EDIT)

    @property
    def delete(self) -> str:
        return basic(self.module, Action.DELETE)


SPECS: dict[RecordKind, Spec] = {
    RecordKind.TASK: Spec(Task, "task", "Task", Module.TASK),
    RecordKind.SCHEDULE: Spec(Schedule, "schedule", "Schedule", Module.CUSTOMER),
    RecordKind.NOTE: Spec(CustomerNote, "customer_note", "Note", Module.CUSTOMER),
    RecordKind.CALL: Spec(CallRecord, "call_record", "Call record", Module.CUSTOMER),
    RecordKind.COMPLAINT: Spec(Complaint, "complaint", "Complaint", Module.CUSTOMER),
    RecordKind.SERVICE: Spec(ServiceRecord, "service_record", "Service record", Module.CUSTOMER),
}


# ---- the rules of each kind ----------------------------------------------------------------


async def _resolution(uow: UnitOfWork, values: dict[str, Any], row: Any) -> dict[str, Any]:
    if values["status"] is ComplaintStatus.RESOLVED and not values["resolution"]:
        raise InvalidInput.single("resolution", "is required once the complaint is resolved")
    return values


_OWNED = owned()
_RULES: dict[RecordKind, Check] = {
    RecordKind.SCHEDULE: ordered("starts_at", "ends_at"),
    RecordKind.COMPLAINT: _resolution,
}


async def _values(
    uow: UnitOfWork, kind: RecordKind, values: dict[str, Any], row: Any, customer_id: int
) -> Any:
    """The input's values, checked: an owner within scope (the caller by default), an
    opportunity of the same customer, and the kind's own rules."""
    if p := await opportunity_problem(uow, customer_id, values.get("opportunity_id")):
        raise InvalidInput.single("opportunityId", p)
    values = await _OWNED(uow, values, row)
    rule = _RULES.get(kind)
    return await rule(uow, values, row) if rule else values


def _stamp_state(row: Any, values: dict[str, Any], now: datetime) -> None:
    """Done and processed flags remember when they were set; a moved reminder fires again."""
    if isinstance(row, Task | Schedule) and values["remind_at"] != row.remind_at:
        row.reminded_at = None
    if isinstance(row, Task) and values["done"] != bool(row.done):
        row.done_at = now if values["done"] else None
    if isinstance(row, CallRecord) and values["processed"] != bool(row.processed):
        row.processed_at = now if values["processed"] else None


# ---- writing -------------------------------------------------------------------------------


async def create_record(
    uow: UnitOfWork, kind: RecordKind, customer_id: int, input: dict[str, Any]
) -> Any:
    spec = SPECS[kind]
    uow.principal.require(spec.create)
    customer = await followable_customer(uow, customer_id)
    values = await _values(uow, kind, input, None, customer.id)
    row = spec.model(
        customer_id=customer.id,
        created_by_id=uow.principal.user_id,
        created_at=uow.now,
        updated_at=uow.now,
    )
    _stamp_state(row, values, uow.now)
    for name, value in values.items():
        setattr(row, name, value)
    uow.session.add(row)
    await uow.session.flush()
    uow.log(spec.entity, row.id, "create", {"customerId": [None, customer.id]})
    return row


async def _editable(
    uow: UnitOfWork, kind: RecordKind, record_id: int, *, by_assignee: bool = False
) -> Any:
    """A live record whose customer the caller may still follow up (or, with
    ``by_assignee``, that is assigned to the caller); else 'not found'."""
    spec = SPECS[kind]
    row = await uow.session.scalar(
        select(spec.model).where(
            spec.model.id == record_id, visibility.assigned_record(uow.principal, spec.model)
        )
    )
    if row is None:
        raise NotFound(spec.label, record_id)
    if by_assignee and row.owner_id == uow.principal.user_id:
        return row
    try:
        await followable_customer(uow, row.customer_id)
    except (NotFound, Conflict) as refused:
        raise NotFound(spec.label, record_id) from refused
    return row


async def update_record(
    uow: UnitOfWork, kind: RecordKind, record_id: int, input: dict[str, Any]
) -> Any:
    spec = SPECS[kind]
    uow.principal.require(spec.edit)
    row = await _editable(uow, kind, record_id, by_assignee=True)
    values = await _values(uow, kind, input, row, row.customer_id)
    _stamp_state(row, values, uow.now)
    uow.apply(spec.entity, row, values)
    await uow.session.flush()
    return row


Create = Callable[[UnitOfWork, int, dict[str, Any]], Awaitable[Any]]
Update = Callable[[UnitOfWork, int, dict[str, Any]], Awaitable[Any]]


def _writers(kind: RecordKind) -> tuple[Create, Update]:
    """Create and update for one kind of record, taking its form as values."""

    async def create(uow: UnitOfWork, customer_id: int, input: dict[str, Any]) -> Any:
        return await create_record(uow, kind, customer_id, input)

    async def update(uow: UnitOfWork, id: int, input: dict[str, Any]) -> Any:
        return await update_record(uow, kind, id, input)

    return create, update


create_task, update_task = _writers(RecordKind.TASK)
create_schedule, update_schedule = _writers(RecordKind.SCHEDULE)
create_note, update_note = _writers(RecordKind.NOTE)
create_call, update_call = _writers(RecordKind.CALL)
create_complaint, update_complaint = _writers(RecordKind.COMPLAINT)
create_service, update_service = _writers(RecordKind.SERVICE)


async def delete_record(uow: UnitOfWork, kind: RecordKind, id: int) -> int:
    """Move a record to the caller's recycle bin."""
    spec = SPECS[kind]
    uow.principal.require(spec.delete)
    row = await _editable(uow, kind, id)
    recycle_bin.discard(uow, spec.entity, row)
    return id


async def _binned(uow: UnitOfWork, kind: RecordKind, id: int) -> Any:
    spec = SPECS[kind]
    reach = visibility.binned_record(uow.principal, spec.model, spec.delete)
    return await recycle_bin.binned(uow, spec.model, id, reach, spec.label)


async def restore_record(uow: UnitOfWork, kind: RecordKind, id: int) -> Any:
    """Bring a record back from the recycle bin; its customer must still be yours to follow."""
    spec = SPECS[kind]
    uow.principal.require(spec.delete)
    row = await _binned(uow, kind, id)
    await followable_customer(uow, row.customer_id)
    recycle_bin.restore(uow, spec.entity, row)
    return row


async def purge_record(uow: UnitOfWork, kind: RecordKind, id: int) -> int:
    """Remove a record from the recycle bin for good."""
    spec = SPECS[kind]
    uow.principal.require(spec.delete)
    row = await _binned(uow, kind, id)
    return await recycle_bin.purge(uow, spec.entity, row, {"customerId": [row.customer_id, None]})


# ---- reading -------------------------------------------------------------------------------


def live(model: Any) -> Any:
    """Records not in a recycle bin, of customers not in one."""
    return model.deleted_at.is_(None) & model.customer_id.in_(
        select(Customer.id).where(Customer.deleted_at.is_(None))
    )


def recycle_bin_query(principal: Principal, kind: RecordKind) -> tuple[Select[Any], list[SortKey]]:
    """The caller's binned records of this kind, and their order: latest deleted first."""
    spec = SPECS[kind]
    model = spec.model
    stmt = select(model).where(visibility.binned_record(principal, model, spec.delete))
    return stmt, list(recycle_bin.latest_first(model))


# ---- the to-do and calendar lists -----------------------------------------------------------

TASK_VIEW = basic(Module.TASK, Action.VIEW)
# The lists of their own: by due time, and by start, what comes next first (a customer's
# sub-lists put open to-dos and upcoming appointments first; here the filter's ``done``
# chooses instead).
TASKS_BY_DUE = [SortKey(Task.due_at, False), SortKey(Task.id, False)]
SCHEDULES_BY_START = [SortKey(Schedule.starts_at, False), SortKey(Schedule.id, False)]


def task_query(principal: Principal, filter: dict[str, Any] | None = None) -> Select[Task]:
    """To-dos the caller may see (assigned to them, or on a customer they may see)."""
    return select(Task).where(visibility.assigned_record(principal, Task), *equal_to(Task, filter))


def schedule_query(principal: Principal, filter: dict[str, Any] | None = None) -> Select[Schedule]:
    """Appointments the caller may see (assigned to them, or on a customer they may see)."""
    visible = visibility.assigned_record(principal, Schedule)
    return select(Schedule).where(visible, *equal_to(Schedule, filter))
