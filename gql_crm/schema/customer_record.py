from __future__ import annotations

from datetime import datetime

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import (
    CallRecord,
    Complaint,
    ComplaintStatus,
    CustomerNote,
    Schedule,
    ServiceRecord,
    Task,
)
from gql_crm.schema.masking import masked_field
from gql_crm.schema.user import UserType
from gql_crm.services.customer_record import RecordKind

ComplaintStatusEnum = strawberry.enum(ComplaintStatus, name="ComplaintStatus")
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

    @strawberry.field(description="The responsible user: assignee, author or handler.")
    async def owner(self, info: Info) -> UserType | None:
        if self.owner_id is None:
            return None
        user = await info.context.loaders.user.load(self.owner_id)
        return UserType.from_model(user) if user else None


def _common(row: Task | Schedule | CustomerNote | CallRecord | Complaint | ServiceRecord) -> dict:  # type: ignore[type-arg]
    return {
        "id": row.id,
        "customer_id": row.customer_id,
        "owner_id": row.owner_id,
        "created_by_id": row.created_by_id,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


@strawberry.type(name="Task", description="A to-do (F4.1); the owner is the assignee.")
class TaskType(CustomerRecord):
    content: str
    due_at: datetime
    remind_at: datetime | None
    done: bool
    done_at: datetime | None

    @classmethod
    def from_model(cls, r: Task) -> TaskType:
        return cls(
            **_common(r),
            content=r.content,
            due_at=r.due_at,
            remind_at=r.remind_at,
            done=r.done,
            done_at=r.done_at,
        )


@strawberry.type(name="Schedule", description="An appointment (F4.3).")
class ScheduleType(CustomerRecord):
    title: str
    starts_at: datetime
    ends_at: datetime
    remind_at: datetime | None
    place: str | None
    content: str | None

    @classmethod
    def from_model(cls, r: Schedule) -> ScheduleType:
        return cls(
            **_common(r),
            title=r.title,
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            remind_at=r.remind_at,
            place=r.place,
            content=r.content,
        )


@strawberry.type(name="CustomerNote", description="A note on the customer (F4.4).")
class CustomerNoteType(CustomerRecord):
    content: str

    @classmethod
    def from_model(cls, r: CustomerNote) -> CustomerNoteType:
        return cls(**_common(r), content=r.content)


@strawberry.type(name="CallRecord", description="An incoming call to process (F4.5).")
class CallRecordType(CustomerRecord):
    caller_number = masked_field(CallRecord, "caller_number", description="The caller's number.")
    called_at: datetime
    content: str
    processed: bool
    processed_at: datetime | None
    _model: strawberry.Private[CallRecord]

    @classmethod
    def from_model(cls, r: CallRecord) -> CallRecordType:
        return cls(
            **_common(r),
            called_at=r.called_at,
            content=r.content,
            processed=r.processed,
            processed_at=r.processed_at,
            _model=r,
        )


@strawberry.type(name="Complaint", description="A complaint (F2.8); the owner handles it.")
class ComplaintType(CustomerRecord):
    complaint_type: str
    channel: str | None
    complained_at: datetime
    content: str
    status: ComplaintStatusEnum  # type: ignore[valid-type]
    resolution: str | None

    @classmethod
    def from_model(cls, r: Complaint) -> ComplaintType:
        return cls(
            **_common(r),
            complaint_type=r.complaint_type,
            channel=r.channel,
            complained_at=r.complained_at,
            content=r.content,
            status=r.status,
            resolution=r.resolution,
        )


@strawberry.type(name="ServiceRecord", description="A service given to the customer.")
class ServiceRecordType(CustomerRecord):
    service_type: str
    served_at: datetime
    content: str

    @classmethod
    def from_model(cls, r: ServiceRecord) -> ServiceRecordType:
        return cls(
            **_common(r), service_type=r.service_type, served_at=r.served_at, content=r.content
        )


@strawberry.input
class TaskInput:
    content: str
    due_at: datetime
    remind_at: datetime | None = None
    done: bool = False
    owner_id: int | None = strawberry.field(default=None, description="Assignee; defaults to you.")


@strawberry.input
class ScheduleInput:
    title: str
    starts_at: datetime
    ends_at: datetime
    remind_at: datetime | None = None
    place: str | None = None
    content: str | None = None
    owner_id: int | None = None


@strawberry.input
class CustomerNoteInput:
    content: str
    owner_id: int | None = None


@strawberry.input
class CallRecordInput:
    caller_number: str
    called_at: datetime
    content: str
    processed: bool = False
    owner_id: int | None = strawberry.field(default=None, description="Handler; defaults to you.")


@strawberry.input
class ComplaintInput:
    complaint_type: str
    complained_at: datetime
    content: str
    channel: str | None = None
    status: ComplaintStatusEnum = ComplaintStatus.UNHANDLED  # type: ignore[valid-type]
    resolution: str | None = strawberry.field(default=None, description="Required once RESOLVED.")
    owner_id: int | None = strawberry.field(default=None, description="Handler; defaults to you.")


@strawberry.input
class ServiceRecordInput:
    service_type: str
    served_at: datetime
    content: str
    owner_id: int | None = strawberry.field(default=None, description="Handler; defaults to you.")


@strawberry.type
class CustomerRecordSuccess:
    record: CustomerRecord
