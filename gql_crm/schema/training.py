from __future__ import annotations

import strawberry

from gql_crm.db import visibility
from gql_crm.db.models import Contact, User
from gql_crm.db.models.training import (
    AttendeeStatus,
    TrainingAttendee,
    TrainingCourse,
    TrainingProject,
)
from gql_crm.db.pagination import SortKey
from gql_crm.loaders.batch import Children, scoped_children
from gql_crm.loaders.customer import load_visible_customers
from gql_crm.schema.contact import ContactType
from gql_crm.schema.kit import ModelInput, ModelType, owner_field, related
from gql_crm.schema.user import UserType

strawberry.enum(
    AttendeeStatus,
    name="TrainingAttendeeStatus",
    description="Where an attendee of a training course stands.",
)
# What a caller may see of a project's courses, a course's list and a customer's places.
courses_of_project = scoped_children(
    Children(
        TrainingCourse.project_id,
        [SortKey(TrainingCourse.starts_at)],
        rule=visibility.training_course,
    )
)
attendees_of_course = scoped_children(
    Children(
        TrainingAttendee.course_id,
        [SortKey(TrainingAttendee.id)],
        rule=visibility.training_attendee,
    )
)
attendees_of_customer = scoped_children(
    Children(
        TrainingAttendee.customer_id,
        [SortKey(TrainingAttendee.id, descending=True)],
        rule=visibility.training_attendee,
    )
)


@strawberry.type(
    name="TrainingProject",
    description="A training project such as 'CRM course'; its owner's data scope decides who "
    "sees it, its courses and their attendee lists.",
)
class TrainingProjectType(
    ModelType, model=TrainingProject, fields="id name description owner_id created_at"
):
    owner = related(UserType, "owner_id", User)
    courses = related(
        "TrainingCourseType", "id", courses_of_project, many=True, scoped=True, module=__name__,
        description="Earliest first.",
    )  # fmt: skip


@strawberry.type(name="TrainingCourse", description="A course of a training project.")
class TrainingCourseType(
    ModelType,
    model=TrainingCourse,
    fields="id project_id title lecturer starts_at ends_at content deleted_at",
):
    project = related(TrainingProjectType, "project_id", TrainingProject)
    attendees = related(
        "TrainingAttendeeType", "id", attendees_of_course, many=True, scoped=True,
        module=__name__, description="Customers you may see on the list.",
    )  # fmt: skip


@strawberry.type(name="TrainingAttendee", description="A customer (and contact) on a course.")
class TrainingAttendeeType(
    ModelType, model=TrainingAttendee, fields="id course_id customer_id contact_id status"
):
    course = related(TrainingCourseType, "course_id", TrainingCourse)
    contact = related(ContactType, "contact_id", Contact)
    customer = related(
        "CustomerType", "customer_id", load_visible_customers, scoped=True,
        module="gql_crm.schema.customer",
    )  # fmt: skip


@strawberry.input
class TrainingProjectInput(ModelInput, model=TrainingProject, fields="name description"):
    owner_id: int | None = owner_field()


@strawberry.input
class TrainingCourseInput(
    ModelInput, model=TrainingCourse, fields="title lecturer starts_at ends_at content"
):
    """A course as its columns say."""


@strawberry.input
class TrainingAttendanceInput:
    contact_id: int | None = strawberry.field(default=None, description="One of its contacts.")
    status: AttendeeStatus = strawberry.field(
        default=AttendeeStatus.REGISTERED, description="Where the attendee stands."
    )
