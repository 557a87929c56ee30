"""Training (F3): projects, their courses and attendee lists, within the project owner's data
scope (``db/visibility.py``); a deleted course goes to its deleter's recycle bin."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, exists, select

from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.models import Contact, Customer
from gql_crm.db.models.training import TrainingAttendee, TrainingCourse, TrainingProject
from gql_crm.db.pagination import SortKey
from gql_crm.services import recycle_bin
from gql_crm.services.errors import Conflict, InvalidInput
from gql_crm.services.unit_of_work import UnitOfWork
from gql_crm.services.user import assignee_problem

ACTIONS = (Action.VIEW, Action.CREATE, Action.EDIT, Action.DELETE)
VIEW, CREATE, EDIT, DELETE = (basic(Module.TRAINING, action) for action in ACTIONS)
PROJECT_ORDER = (SortKey(TrainingProject.name), SortKey(TrainingProject.id))
COURSE_ORDER = (SortKey(TrainingCourse.starts_at, True), SortKey(TrainingCourse.id, True))
BIN_ORDER = (SortKey(TrainingCourse.deleted_at, True), SortKey(TrainingCourse.id, True))


async def _project(uow: UnitOfWork, id: int) -> TrainingProject:
    return await uow.find(TrainingProject, id, visibility.training_project(uow.principal))


async def _course(uow: UnitOfWork, id: int) -> TrainingCourse:
    return await uow.find(TrainingCourse, id, visibility.training_course(uow.principal))


async def _owner(uow: UnitOfWork, input: dict[str, Any], default: int) -> dict[str, Any]:
    if p := await assignee_problem(uow, input["owner_id"]):
        raise InvalidInput.single("ownerId", p)
    return {**input, "owner_id": input["owner_id"] or default}


async def create_project(uow: UnitOfWork, input: dict[str, Any]) -> TrainingProject:
    values = await _owner(uow, input, uow.principal.user_id)
    return await uow.add("training_project", TrainingProject(**values), name=values["name"])


async def update_project(uow: UnitOfWork, id: int, input: dict[str, Any]) -> TrainingProject:
    project = await _project(uow, id)
    uow.apply("training_project", project, await _owner(uow, input, project.owner_id))
    return project


async def delete_project(uow: UnitOfWork, id: int) -> int:
    project = await _project(uow, id)
    if await uow.session.scalar(select(exists().where(TrainingCourse.project_id == id))):
        raise Conflict("Delete (and purge) the project's courses first.", "id")
    await uow.session.delete(project)
    uow.log("training_project", id, "delete", {"name": [project.name, None]})
    return id


def _period(input: dict[str, Any]) -> dict[str, Any]:
    if input["ends_at"] < input["starts_at"]:
        raise InvalidInput.single("endsAt", "must not be before startsAt")
    return input


async def create_course(uow: UnitOfWork, project_id: int, input: dict[str, Any]) -> Any:
    project = await _project(uow, project_id)
    course = TrainingCourse(project_id=project.id, **_period(input))
    return await uow.add("training_course", course, project_id=project.id, title=course.title)


async def update_course(uow: UnitOfWork, id: int, input: dict[str, Any]) -> TrainingCourse:
    course = await _course(uow, id)
    uow.apply("training_course", course, _period(input))
    return course


async def delete_course(uow: UnitOfWork, id: int) -> int:
    recycle_bin.discard(uow, "training_course", await _course(uow, id))
    return id


async def _binned(uow: UnitOfWork, id: int) -> TrainingCourse:
    reach = visibility.binned_training_course(uow.principal)
    course: TrainingCourse = await recycle_bin.binned(uow, TrainingCourse, id, reach, "Course")
    return course


async def restore_course(uow: UnitOfWork, id: int) -> TrainingCourse:
    recycle_bin.restore(uow, "training_course", course := await _binned(uow, id))
    return course


async def purge_course(uow: UnitOfWork, id: int) -> int:
    course = await _binned(uow, id)
    return await recycle_bin.purge(uow, "training_course", course, {"title": [course.title, None]})


async def _contact_of(uow: UnitOfWork, customer_id: int, input: dict[str, Any]) -> dict[str, Any]:
    contact = input["contact_id"]
    owner = select(Contact.customer_id).where(Contact.id == contact)
    if contact is not None and await uow.session.scalar(owner) != customer_id:
        raise InvalidInput.single("contactId", f"contact {contact} is not this customer's")
    return input


async def add_attendee(
    uow: UnitOfWork, course_id: int, customer_id: int, input: dict[str, Any]
) -> TrainingAttendee:
    course = await _course(uow, course_id)
    await uow.find(Customer, customer_id, visibility.customer(uow.principal))
    values = await _contact_of(uow, customer_id, input)
    attendee = TrainingAttendee(course_id=course.id, customer_id=customer_id, **values)
    return await uow.add(
        "training_attendee", attendee, course_id=course.id, customer_id=customer_id
    )


async def _attendee(uow: UnitOfWork, id: int) -> TrainingAttendee:
    return await uow.find(TrainingAttendee, id, visibility.training_attendee(uow.principal))


async def update_attendee(uow: UnitOfWork, id: int, input: dict[str, Any]) -> TrainingAttendee:
    attendee = await _attendee(uow, id)
    uow.apply("training_attendee", attendee, await _contact_of(uow, attendee.customer_id, input))
    return attendee


async def remove_attendee(uow: UnitOfWork, id: int) -> int:
    attendee = await _attendee(uow, id)
    await uow.session.execute(delete(TrainingAttendee).where(TrainingAttendee.id == id))
    uow.log("training_attendee", id, "delete", {"customerId": [attendee.customer_id, None]})
    return id


def projects(principal: Principal, search: str | None) -> Select[TrainingProject]:
    stmt = select(TrainingProject).where(visibility.training_project(principal))
    term = (search or "").strip()
    return stmt.where(TrainingProject.name.icontains(term, autoescape=True)) if term else stmt


def courses(principal: Principal, project_id: int | None) -> Select[TrainingCourse]:
    stmt = select(TrainingCourse).where(visibility.training_course(principal))
    return stmt if project_id is None else stmt.where(TrainingCourse.project_id == project_id)


def course_bin(principal: Principal) -> Select[TrainingCourse]:
    return select(TrainingCourse).where(visibility.binned_training_course(principal))
