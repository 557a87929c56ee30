from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry

from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.context import Info
from gql_crm.db.models import CallRecord, Complaint, CustomerNote, Schedule, ServiceRecord, Task
from gql_crm.resolvers.common import mutate, paginate
from gql_crm.schema.common import (
    ConflictError,
    Connection,
    DeleteSuccess,
    InvalidInputError,
    NotFoundError,
    deleted,
    requires,
)
from gql_crm.schema.customer_record import (
    CallRecordInput,
    CallRecordType,
    ComplaintInput,
    ComplaintType,
    CustomerNoteInput,
    CustomerNoteType,
    CustomerRecord,
    CustomerRecordSuccess,
    RecordKindEnum,  # noqa: F401  (registers the enum's GraphQL name)
    ScheduleInput,
    ScheduleType,
    ServiceRecordInput,
    ServiceRecordType,
    TaskInput,
    TaskType,
)
from gql_crm.schema.kit import values_of
from gql_crm.services import customer_record as service
from gql_crm.services.customer_record import RecordKind

RecordResult = Annotated[
    CustomerRecordSuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("CustomerRecordResult"),
]
DeleteRecordResult = Annotated[
    DeleteSuccess | NotFoundError, strawberry.union("DeleteCustomerRecordResult")
]

RECORD_TYPES = [
    TaskType,
    ScheduleType,
    CustomerNoteType,
    CallRecordType,
    ComplaintType,
    ServiceRecordType,
]


_NODES: dict[type, Callable[[Any], CustomerRecord]] = {
    Task: TaskType.from_model,
    Schedule: ScheduleType.from_model,
    CustomerNote: CustomerNoteType.from_model,
    CallRecord: CallRecordType.from_model,
    Complaint: ComplaintType.from_model,
    ServiceRecord: ServiceRecordType.from_model,
}


def record_node(row: Any) -> CustomerRecord:
    to_node = _NODES.get(type(row))
    if to_node is None:
        raise TypeError(f"not a customer record: {row!r}")
    return to_node(row)


def _success(row: Any) -> CustomerRecordSuccess:
    return CustomerRecordSuccess(record=record_node(row))


async def _create(info: Info, customer_id: int, fields: service.RecordFields) -> Any:
    return await mutate(info, lambda uow: service.create_record(uow, customer_id, fields), _success)


async def _update(info: Info, id: int, fields: service.RecordFields) -> Any:
    return await mutate(info, lambda uow: service.update_record(uow, id, fields), _success)


TASK_CREATE = basic(Module.TASK, Action.CREATE)
TASK_EDIT = basic(Module.TASK, Action.EDIT)
CUSTOMER_EDIT = basic(Module.CUSTOMER, Action.EDIT)


@strawberry.type
class CustomerRecordQuery:
    @strawberry.field(description="Customer records you deleted: restore or purge them.")
    async def record_recycle_bin(
        self,
        info: Info,
        kind: RecordKind,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CustomerRecord]:
        principal = info.context.require_principal()
        stmt, keys = service.recycle_bin_query(principal, RecordKind(kind))
        return await paginate(info, stmt, keys, first=first, after=after, to_node=record_node)


@strawberry.type
class CustomerRecordMutation:
    @strawberry.mutation(extensions=[requires(TASK_CREATE)], description="A to-do for a customer.")
    async def create_task(self, info: Info, customer_id: int, input: TaskInput) -> RecordResult:
        return await _create(info, customer_id, service.TaskFields(**values_of(input)))

    @strawberry.mutation(extensions=[requires(TASK_EDIT)])
    async def update_task(self, info: Info, id: int, input: TaskInput) -> RecordResult:
        return await _update(info, id, service.TaskFields(**values_of(input)))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def create_schedule(
        self, info: Info, customer_id: int, input: ScheduleInput
    ) -> RecordResult:
        return await _create(info, customer_id, service.ScheduleFields(**values_of(input)))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def update_schedule(self, info: Info, id: int, input: ScheduleInput) -> RecordResult:
        return await _update(info, id, service.ScheduleFields(**values_of(input)))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def create_customer_note(
        self, info: Info, customer_id: int, input: CustomerNoteInput
    ) -> RecordResult:
        return await _create(info, customer_id, service.NoteFields(**values_of(input)))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def update_customer_note(
        self, info: Info, id: int, input: CustomerNoteInput
    ) -> RecordResult:
        return await _update(info, id, service.NoteFields(**values_of(input)))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def create_call_record(
        self, info: Info, customer_id: int, input: CallRecordInput
    ) -> RecordResult:
        return await _create(info, customer_id, service.CallFields(**values_of(input)))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def update_call_record(self, info: Info, id: int, input: CallRecordInput) -> RecordResult:
        return await _update(info, id, service.CallFields(**values_of(input)))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def create_complaint(
        self, info: Info, customer_id: int, input: ComplaintInput
    ) -> RecordResult:
        return await _create(info, customer_id, service.ComplaintFields(**values_of(input)))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def update_complaint(self, info: Info, id: int, input: ComplaintInput) -> RecordResult:
        return await _update(info, id, service.ComplaintFields(**values_of(input)))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def create_service_record(
        self, info: Info, customer_id: int, input: ServiceRecordInput
    ) -> RecordResult:
        return await _create(info, customer_id, service.ServiceFields(**values_of(input)))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def update_service_record(
        self, info: Info, id: int, input: ServiceRecordInput
    ) -> RecordResult:
        return await _update(info, id, service.ServiceFields(**values_of(input)))

    @strawberry.mutation(
        description="Move to your recycle bin (tasks need task:delete, others customer:delete)."
    )
    async def delete_customer_record(
        self,
        info: Info,
        kind: RecordKind,
        id: int,
    ) -> DeleteRecordResult:
        return await mutate(
            info, lambda uow: service.delete_record(uow, RecordKind(kind), id), deleted
        )

    @strawberry.mutation(description="Bring a record back from your recycle bin.")
    async def restore_customer_record(
        self,
        info: Info,
        kind: RecordKind,
        id: int,
    ) -> RecordResult:
        return await mutate(
            info, lambda uow: service.restore_record(uow, RecordKind(kind), id), _success
        )

    @strawberry.mutation(description="Delete for good a record from your recycle bin.")
    async def purge_customer_record(
        self,
        info: Info,
        kind: RecordKind,
        id: int,
    ) -> DeleteRecordResult:
        return await mutate(
            info, lambda uow: service.purge_record(uow, RecordKind(kind), id), deleted
        )
