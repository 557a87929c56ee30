from __future__ import annotations

from datetime import datetime

import strawberry

from gql_crm.db.models.training import AttendeeStatus
from gql_crm.loaders import training
from gql_crm.loaders.customer import load_contacts_by_id, load_visible_customers
from gql_crm.loaders.user import load_users
from gql_crm.schema.constraints import constraint
from gql_crm.schema.contact import ContactType
from gql_crm.schema.kit import ModelType, related
from gql_crm.schema.user import UserType

Status = strawberry.enum(AttendeeStatus, name="TrainingAttendeeStatus")
LINE = constraint(max_length=200, single_line=True, required=True)


@strawberry.type(
    name="TrainingProject",
    description="A training project such as 'CRM course' (F3); its owner's data scope decides "
    "who sees it, its courses and their attendee lists.",
)
class TrainingProjectType(ModelType):
    id: int
    name: str
    description: str | None
    owner_id: int
    created_at: datetime
    owner = related(UserType, "owner_id", load_users)
    courses = related(
        "TrainingCourseType", "id", training.load_project_courses, many=True, scoped=True,
        module=__name__, description="Earliest first.",
    )  # fmt: skip


@strawberry.type(name="TrainingCourse", description="A course of a training project.")
class TrainingCourseType(ModelType):
    id: int
    project_id: int
    title: str
    lecturer: str | None
    starts_at: datetime
    ends_at: datetime
    content: str | None
    deleted_at: datetime | None
    project = related(TrainingProjectType, "project_id", training.load_projects)
    attendees = related(
        "TrainingAttendeeType", "id", training.load_course_attendees, many=True, scoped=True,
        module=__name__, description="Customers you may see on the list.",
    )  # fmt: skip


@strawberry.type(name="TrainingAttendee", description="A customer (and contact) on a course.")
class TrainingAttendeeType(ModelType):
    id: int
    course_id: int
    customer_id: int
    contact_id: int | None
    status: Status  # type: ignore[valid-type]
    course = related(TrainingCourseType, "course_id", training.load_courses)
    contact = related(ContactType, "contact_id", load_contacts_by_id)
    customer = related(
        "CustomerType", "customer_id", load_visible_customers, scoped=True,
        module="gql_crm.schema.customer",
    )  # fmt: skip


@strawberry.input
class TrainingProjectInput:
    name: str = strawberry.field(metadata=LINE)
    description: str | None = strawberry.field(default=None, metadata=constraint(max_length=5000))
    owner_id: int | None = strawberry.field(default=None, description="Default: you.")


@strawberry.input
class TrainingCourseInput:
    title: str = strawberry.field(metadata=LINE)
    lecturer: str | None = strawberry.field(default=None, metadata=constraint(max_length=100))
    starts_at: datetime
    ends_at: datetime
    content: str | None = None


@strawberry.input
class TrainingAttendanceInput:
    contact_id: int | None = strawberry.field(default=None, description="One of its contacts.")
    status: Status = AttendeeStatus.REGISTERED  # type: ignore[valid-type]
