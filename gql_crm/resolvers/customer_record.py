from __future__ import annotations

from typing import Annotated, Any

import strawberry

from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.context import Info
from gql_crm.resolvers.common import paginate
from gql_crm.resolvers.kit import connection, mutation
from gql_crm.schema.common import Connection, DeleteSuccess, NotFoundError
from gql_crm.schema.customer_record import (
    CallRecordInput,
    ComplaintInput,
    CustomerNoteInput,
    CustomerRecord,
    CustomerRecordSuccess,
    RecordKindEnum,  # noqa: F401  (registers the enum's GraphQL name)
    ScheduleFilterInput,
    ScheduleInput,
    ScheduleType,
    ServiceRecordInput,
    TaskFilterInput,
    TaskInput,
    TaskType,
    record_node,
)
from gql_crm.schema.descriptions import words
from gql_crm.services import customer_record as service
from gql_crm.services.customer import CUSTOMER_VIEW
from gql_crm.services.customer_record import RecordKind

Kind = Annotated[RecordKind, strawberry.argument(description="The kind of record.")]

TASK_CREATE = basic(Module.TASK, Action.CREATE)
TASK_EDIT = basic(Module.TASK, Action.EDIT)
CUSTOMER_EDIT = basic(Module.CUSTOMER, Action.EDIT)
Record = CustomerRecordSuccess
# Deleting and purging answer the id, or that the record is not there for the caller.
GONE: dict[str, Any] = {"failures": (NotFoundError,), "union": "DeleteCustomerRecordResult"}


@strawberry.type
class CustomerRecordQuery:
    tasks = connection(
        service.task_query, TaskType, service.TASKS_BY_DUE, needs=service.TASK_VIEW,
        description="To-dos you may see (yours, and those on customers you may see), by due "
        "time.",
        filter=TaskFilterInput | None,
    )  # fmt: skip
    schedules = connection(
        service.schedule_query, ScheduleType, service.SCHEDULES_BY_START, needs=CUSTOMER_VIEW,
        description="Appointments you may see (yours, and those on customers you may see), "
        "by start.",
        filter=ScheduleFilterInput | None,
    )  # fmt: skip

    @strawberry.field(description="Customer records you deleted: restore or purge them.")
    async def record_recycle_bin(
        self,
        info: Info,
        kind: Kind,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CustomerRecord]:
        principal = info.context.require_principal()
        stmt, keys = service.recycle_bin_query(principal, RecordKind(kind))
        return await paginate(info, stmt, keys, first=first, after=after, to_node=record_node)


def _create(operation: Any, needs: str, form: type, **more: Any) -> Any:
    more.setdefault("description", f"Adds a {_kind(form)} to a customer.")
    return mutation(operation, Record, needs=needs, customer_id=int, input=form, **more)


def _update(operation: Any, needs: str, form: type) -> Any:
    description = f"Changes a {_kind(form)} to the input's values."
    return mutation(operation, Record, needs=needs, id=int, input=form, description=description)


def _kind(form: type) -> str:
    return words(form.__name__.removesuffix("Input"))


@strawberry.type
class CustomerRecordMutation:
    create_task = _create(
        service.create_task, TASK_CREATE, TaskInput, description="A to-do for a customer."
    )
    update_task = _update(service.update_task, TASK_EDIT, TaskInput)
    create_schedule = _create(service.create_schedule, CUSTOMER_EDIT, ScheduleInput)
    update_schedule = _update(service.update_schedule, CUSTOMER_EDIT, ScheduleInput)
    create_customer_note = _create(service.create_note, CUSTOMER_EDIT, CustomerNoteInput)
    update_customer_note = _update(service.update_note, CUSTOMER_EDIT, CustomerNoteInput)
    create_call_record = _create(service.create_call, CUSTOMER_EDIT, CallRecordInput)
    update_call_record = _update(service.update_call, CUSTOMER_EDIT, CallRecordInput)
    create_complaint = _create(service.create_complaint, CUSTOMER_EDIT, ComplaintInput)
    update_complaint = _update(service.update_complaint, CUSTOMER_EDIT, ComplaintInput)
    create_service_record = _create(service.create_service, CUSTOMER_EDIT, ServiceRecordInput)
    update_service_record = _update(service.update_service, CUSTOMER_EDIT, ServiceRecordInput)
    delete_customer_record = mutation(
        service.delete_record, DeleteSuccess, needs=None, kind=Kind, id=int, **GONE,
        description="Move to your recycle bin (tasks need task:delete, others customer:delete).",
    )  # fmt: skip
    restore_customer_record = mutation(
        service.restore_record, Record, needs=None, kind=Kind, id=int,
        description="Bring a record back from your recycle bin.",
    )  # fmt: skip
    purge_customer_record = mutation(
        service.purge_record, DeleteSuccess, needs=None, kind=Kind, id=int, **GONE,
        description="Delete for good a record from your recycle bin.",
    )  # fmt: skip
