"""Training (F3): projects, their courses and attendee lists, within the project owner's data
scope (``db/visibility.py``); a deleted course goes to its deleter's recycle bin."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.db import visibility
from gql_crm.db.models import Contact, Customer
from gql_crm.db.models.training import TrainingAttendee, TrainingCourse, TrainingProject
from gql_crm.db.pagination import SortKey
from gql_crm.services.errors import InvalidInput
from gql_crm.services.records import Records
from gql_crm.services.unit_of_work import UnitOfWork
from gql_crm.services.user import assignee_problem

ACTIONS = (Action.VIEW, Action.CREATE, Action.EDIT, Action.DELETE)
VIEW, CREATE, EDIT, DELETE = (basic(Module.TRAINING, action) for action in ACTIONS)
PROJECT_ORDER = (SortKey(TrainingProject.name), SortKey(TrainingProject.id))
COURSE_ORDER = (SortKey(TrainingCourse.starts_at, True), SortKey(TrainingCourse.id, True))
BIN_ORDER = (SortKey(TrainingCourse.deleted_at, True), SortKey(TrainingCourse.id, True))


async def _owner(uow: UnitOfWork, values: dict[str, Any], project: Any) -> dict[str, Any]:
    if p := await assignee_problem(uow, values["owner_id"]):
        raise InvalidInput.single("ownerId", p)
    default = project.owner_id if project else uow.principal.user_id
    return {**values, "owner_id": values["owner_id"] or default}


async def _period(uow: UnitOfWork, values: dict[str, Any], course: Any) -> dict[str, Any]:
    if values["ends_at"] < values["starts_at"]:
        raise InvalidInput.single("endsAt", "must not be before startsAt")
    return values


async def _contact(uow: UnitOfWork, values: dict[str, Any], attendee: Any) -> dict[str, Any]:
    customer_id = attendee.customer_id if attendee else values["customer_id"]
    contact_id, of = values["contact_id"], select(Contact.customer_id)
    if contact_id and await uow.session.scalar(of.where(Contact.id == contact_id)) != customer_id:
        raise InvalidInput.single("contactId", f"contact {contact_id} is not this customer's")
    return values


projects = Records(
    TrainingProject, "training_project", visibility.training_project, check=_owner,
    searched="name",
)  # fmt: skip
courses = Records(
    TrainingCourse, "training_course", visibility.training_course,
    binned=visibility.binned_training_course, parents={"project_id": projects},
    check=_period, summary="title",
)  # fmt: skip
attendees = Records(
    TrainingAttendee, "training_attendee", visibility.training_attendee,
    parents={"course_id": courses, "customer_id": Records(Customer, "", visibility.customer)},
    check=_contact, summary="customer_id",
)  # fmt: skip
