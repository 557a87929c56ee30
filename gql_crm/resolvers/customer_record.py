from __future__ import annotations

from typing import Annotated, Any

import strawberry

from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.context import Info
from gql_crm.db.models import CallRecord, Complaint, CustomerNote, Schedule, ServiceRecord, Task
from gql_crm.db.pagination import SortKey
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


def record_node(row: Any) -> CustomerRecord:
    if isinstance(row, Task):
        return TaskType.from_model(row)
    if isinstance(row, Schedule):
        return ScheduleType.from_model(row)
    if isinstance(row, CustomerNote):
        return CustomerNoteType.from_model(row)
    if isinstance(row, CallRecord):
        return CallRecordType.from_model(row)
    if isinstance(row, Complaint):
        return ComplaintType.from_model(row)
    if isinstance(row, ServiceRecord):
        return ServiceRecordType.from_model(row)
    raise TypeError(f"not a customer record: {row!r}")


def _success(row: Any) -> CustomerRecordSuccess:
    return CustomerRecordSuccess(record=record_node(row))


def _task(d: TaskInput) -> service.TaskFields:
    return service.TaskFields(d.content, d.due_at, d.remind_at, d.done, d.owner_id)


def _schedule(d: ScheduleInput) -> service.ScheduleFields:
    return service.ScheduleFields(
        d.title, d.starts_at, d.ends_at, d.remind_at, d.place, d.content, d.owner_id
    )


def _note(d: CustomerNoteInput) -> service.NoteFields:
    return service.NoteFields(d.content, d.owner_id)


def _call(d: CallRecordInput) -> service.CallFields:
    return service.CallFields(d.caller_number, d.called_at, d.content, d.processed, d.owner_id)


def _complaint(d: ComplaintInput) -> service.ComplaintFields:
    return service.ComplaintFields(
        d.complaint_type, d.complained_at, d.content, d.channel, d.status, d.resolution, d.owner_id
    )


def _service(d: ServiceRecordInput) -> service.ServiceFields:
    return service.ServiceFields(d.service_type, d.served_at, d.content, d.owner_id)


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
        model = service.SPECS[RecordKind(kind)].model
        keys = [SortKey(model.deleted_at, True), SortKey(model.id, True)]
        stmt = service.recycle_bin_query(principal, RecordKind(kind))
        return await paginate(info, stmt, keys, first=first, after=after, to_node=record_node)


@strawberry.type
class CustomerRecordMutation:
    @strawberry.mutation(extensions=[requires(TASK_CREATE)], description="A to-do for a customer.")
    async def create_task(self, info: Info, customer_id: int, input: TaskInput) -> RecordResult:
        return await _create(info, customer_id, _task(input))

    @strawberry.mutation(extensions=[requires(TASK_EDIT)])
    async def update_task(self, info: Info, id: int, input: TaskInput) -> RecordResult:
        return await _update(info, id, _task(input))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def create_schedule(
        self, info: Info, customer_id: int, input: ScheduleInput
    ) -> RecordResult:
        return await _create(info, customer_id, _schedule(input))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def update_schedule(self, info: Info, id: int, input: ScheduleInput) -> RecordResult:
        return await _update(info, id, _schedule(input))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def create_customer_note(
        self, info: Info, customer_id: int, input: CustomerNoteInput
    ) -> RecordResult:
        return await _create(info, customer_id, _note(input))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def update_customer_note(
        self, info: Info, id: int, input: CustomerNoteInput
    ) -> RecordResult:
        return await _update(info, id, _note(input))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def create_call_record(
        self, info: Info, customer_id: int, input: CallRecordInput
    ) -> RecordResult:
        return await _create(info, customer_id, _call(input))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def update_call_record(self, info: Info, id: int, input: CallRecordInput) -> RecordResult:
        return await _update(info, id, _call(input))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def create_complaint(
        self, info: Info, customer_id: int, input: ComplaintInput
    ) -> RecordResult:
        return await _create(info, customer_id, _complaint(input))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def update_complaint(self, info: Info, id: int, input: ComplaintInput) -> RecordResult:
        return await _update(info, id, _complaint(input))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def create_service_record(
        self, info: Info, customer_id: int, input: ServiceRecordInput
    ) -> RecordResult:
        return await _create(info, customer_id, _service(input))

    @strawberry.mutation(extensions=[requires(CUSTOMER_EDIT)])
    async def update_service_record(
        self, info: Info, id: int, input: ServiceRecordInput
    ) -> RecordResult:
        return await _update(info, id, _service(input))

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
