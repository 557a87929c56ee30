from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import strawberry

from gql_crm.context import Info
from gql_crm.db import models
from gql_crm.db.models import CallRecord, ComplaintStatus
from gql_crm.schema.kit import ModelInput, ModelType, owner_field
from gql_crm.schema.links import customer_link, opportunity_link
from gql_crm.schema.masking import masked_field
from gql_crm.schema.user import UserType
from gql_crm.services.customer_record import RecordKind

ComplaintStatusEnum = strawberry.enum(
    ComplaintStatus, name="ComplaintStatus", description="Where the handling of a complaint stands."
)
RecordKindEnum = strawberry.enum(
    RecordKind,
    name="CustomerRecordKind",
    description="Records kept with a customer: TASK, SCHEDULE, NOTE, CALL, COMPLAINT, SERVICE.",
)


@strawberry.interface(
    description="A record kept with a customer as its context. Whoever may see the customer "
    "sees its records; the record's owner (the assignee of a task, schedule, call record or "
    "complaint) also sees and edits that record when the customer is outside their scope, "
    "and nothing more of the customer."
)
class CustomerRecord:
    id: int
    customer_id: int
    owner_id: int | None = strawberry.field(
        description="Responsible user: assignee, author or handler."
    )
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime

    customer = customer_link()

    @strawberry.field(description="The responsible user: assignee, author or handler.")
    async def owner(self, info: Info) -> UserType | None:
        if self.owner_id is None:
            return None
        user = await info.context.loaders.user.load(self.owner_id)
        return UserType.from_model(user) if user else None

    @classmethod
    def from_model(cls, row: Any) -> Any:
        """Asked of the interface, the type of the row's kind (a success holds any kind)."""
        if cls is CustomerRecord:
            return record_node(row)
        return super().from_model(row)  # type: ignore[misc]


@strawberry.type(name="Task", description="A to-do; the owner is the assignee.")
class TaskType(CustomerRecord, ModelType, model=models.Task):
    content: str
    due_at: datetime
    remind_at: datetime | None
    remind_by_sms: bool
    done: bool
    done_at: datetime | None
    opportunity_id: int | None
    opportunity = opportunity_link()


@strawberry.type(name="Schedule", description="An appointment.")
class ScheduleType(CustomerRecord, ModelType, model=models.Schedule):
    title: str
    starts_at: datetime
    ends_at: datetime
    remind_at: datetime | None
    remind_by_sms: bool
    place: str | None
    content: str | None
    opportunity_id: int | None
    opportunity = opportunity_link()


@strawberry.type(name="CustomerNote", description="A note on the customer.")
class CustomerNoteType(CustomerRecord, ModelType, model=models.CustomerNote):
    content: str


@strawberry.type(name="CallRecord", description="An incoming call to process.")
class CallRecordType(CustomerRecord, ModelType, model=CallRecord):
    caller_number = masked_field(CallRecord, "caller_number", description="The caller's number.")
    called_at: datetime
    content: str
    processed: bool
    processed_at: datetime | None
    _model: strawberry.Private[CallRecord]


@strawberry.type(name="Complaint", description="A complaint; the owner handles it.")
class ComplaintType(CustomerRecord, ModelType, model=models.Complaint):
    complaint_type: str
    channel: str | None
    complained_at: datetime
    content: str
    status: ComplaintStatusEnum  # type: ignore[valid-type]
    resolution: str | None


@strawberry.type(name="ServiceRecord", description="A service given to the customer.")
class ServiceRecordType(CustomerRecord, ModelType, model=models.ServiceRecord):
    service_type: str
    served_at: datetime
    content: str


@strawberry.input
class TaskInput(ModelInput, model=models.Task, fields="content due_at remind_at opportunity_id"):
    done: bool = False
    remind_by_sms: bool = strawberry.field(
        default=False, description="Remind by SMS to the owner's mobile phone as well."
    )
    owner_id: int | None = owner_field("Assignee")


@strawberry.input
class ScheduleInput(
    ModelInput,
    model=models.Schedule,
    fields="title starts_at ends_at remind_at place content opportunity_id",
):
    remind_by_sms: bool = strawberry.field(
        default=False, description="Remind by SMS to the owner's mobile phone as well."
    )
    owner_id: int | None = owner_field()


@strawberry.input
class CustomerNoteInput(ModelInput, model=models.CustomerNote, fields="content"):
    owner_id: int | None = owner_field()


@strawberry.input
class CallRecordInput(
    ModelInput, model=models.CallRecord, fields="caller_number called_at content"
):
    processed: bool = False
    owner_id: int | None = owner_field("Handler")


@strawberry.input
class ComplaintInput(
    ModelInput, model=models.Complaint, fields="complaint_type complained_at content channel"
):
    status: ComplaintStatusEnum = ComplaintStatus.UNHANDLED  # type: ignore[valid-type]
    resolution: str | None = strawberry.field(default=None, description="Required once RESOLVED.")
    owner_id: int | None = owner_field("Handler")


@strawberry.input
class ServiceRecordInput(
    ModelInput, model=models.ServiceRecord, fields="service_type served_at content"
):
    owner_id: int | None = owner_field("Handler")


@strawberry.type
class CustomerRecordSuccess:
    record: CustomerRecord


RECORD_TYPES = [
    TaskType,
    ScheduleType,
    CustomerNoteType,
    CallRecordType,
    ComplaintType,
    ServiceRecordType,
]

_NODES: dict[type, Callable[[Any], CustomerRecord]] = {
    models.Task: TaskType.from_model,
    models.Schedule: ScheduleType.from_model,
    models.CustomerNote: CustomerNoteType.from_model,
    models.CallRecord: CallRecordType.from_model,
    models.Complaint: ComplaintType.from_model,
    models.ServiceRecord: ServiceRecordType.from_model,
}


def record_node(row: Any) -> CustomerRecord:
    to_node = _NODES.get(type(row))
    if to_node is None:
        raise TypeError(f"not a customer record: {row!r}")
    return to_node(row)


@strawberry.input(description="Narrows the to-do list; every field given must match.")
class TaskFilterInput:
    customer_id: int | None = None
    owner_id: int | None = None
    done: bool | None = strawberry.field(
        default=None, description="Only finished to-dos (true), or only open ones (false)."
    )


@strawberry.input(description="Narrows the schedule list; every field given must match.")
class ScheduleFilterInput:
    customer_id: int | None = None
    owner_id: int | None = None
