from __future__ import annotations

from typing import Any

import strawberry

from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.context import Info
from gql_crm.resolvers.common import paginate
from gql_crm.resolvers.kit import mutation
from gql_crm.schema.common import Connection, DeleteSuccess, NotFoundError
from gql_crm.schema.customer_record import (
    CallRecordInput,
    ComplaintInput,
    CustomerNoteInput,
    CustomerRecord,
    CustomerRecordSuccess,
    RecordKindEnum,  # noqa: F401  (registers the enum's GraphQL name)
    ScheduleInput,
    ServiceRecordInput,
    TaskInput,
    record_node,
)
from gql_crm.services import customer_record as service
from gql_crm.services.customer_record import RecordKind

TASK_CREATE = basic(Module.TASK, Action.CREATE)
TASK_EDIT = basic(Module.TASK, Action.EDIT)
CUSTOMER_EDIT = basic(Module.CUSTOMER, Action.EDIT)
Record = CustomerRecordSuccess
# Deleting and purging answer the id, or that the record is not there for the caller.
GONE: dict[str, Any] = {"failures": (NotFoundError,), "union": "DeleteCustomerRecordResult"}


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
    create_task = mutation(
        service.create_task, Record, needs=TASK_CREATE, customer_id=int, input=TaskInput,
        description="A to-do for a customer.",
    )  # fmt: skip
    update_task = mutation(service.update_task, Record, needs=TASK_EDIT, id=int, input=TaskInput)
    create_schedule = mutation(
        service.create_schedule, Record, needs=CUSTOMER_EDIT, customer_id=int, input=ScheduleInput
    )
    update_schedule = mutation(
        service.update_schedule, Record, needs=CUSTOMER_EDIT, id=int, input=ScheduleInput
    )
    create_customer_note = mutation(
        service.create_note, Record, needs=CUSTOMER_EDIT, customer_id=int, input=CustomerNoteInput
    )
    update_customer_note = mutation(
        service.update_note, Record, needs=CUSTOMER_EDIT, id=int, input=CustomerNoteInput
    )
    create_call_record = mutation(
        service.create_call, Record, needs=CUSTOMER_EDIT, customer_id=int, input=CallRecordInput
    )
    update_call_record = mutation(
        service.update_call, Record, needs=CUSTOMER_EDIT, id=int, input=CallRecordInput
    )
    create_complaint = mutation(
        service.create_complaint, Record, needs=CUSTOMER_EDIT, customer_id=int,
        input=ComplaintInput,
    )  # fmt: skip
    update_complaint = mutation(
        service.update_complaint, Record, needs=CUSTOMER_EDIT, id=int, input=ComplaintInput
    )
    create_service_record = mutation(
        service.create_service, Record, needs=CUSTOMER_EDIT, customer_id=int,
        input=ServiceRecordInput,
    )  # fmt: skip
    update_service_record = mutation(
        service.update_service, Record, needs=CUSTOMER_EDIT, id=int, input=ServiceRecordInput
    )
    delete_customer_record = mutation(
        service.delete_record, DeleteSuccess, needs=None, kind=RecordKind, id=int, **GONE,
        description="Move to your recycle bin (tasks need task:delete, others customer:delete).",
    )  # fmt: skip
    restore_customer_record = mutation(
        service.restore_record, Record, needs=None, kind=RecordKind, id=int,
        description="Bring a record back from your recycle bin.",
    )  # fmt: skip
    purge_customer_record = mutation(
        service.purge_record, DeleteSuccess, needs=None, kind=RecordKind, id=int, **GONE,
        description="Delete for good a record from your recycle bin.",
    )  # fmt: skip
