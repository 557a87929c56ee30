"""Training (F3): projects, their courses and attendee lists, within the project owner's data
scope (``db/visibility.py``); a deleted course goes to its deleter's recycle bin."""

from __future__ import annotations

from gql_crm.auth.permissions import Module, record_codes
from gql_crm.db import visibility
from gql_crm.db.models import Contact, Customer
from gql_crm.db.models.training import TrainingAttendee, TrainingCourse, TrainingProject
from gql_crm.db.pagination import SortKey
from gql_crm.services.records import Records, ordered, owned, same_parent

VIEW, CREATE, EDIT, DELETE = record_codes(Module.TRAINING)
PROJECT_ORDER = (SortKey(TrainingProject.name), SortKey(TrainingProject.id))
COURSE_ORDER = (SortKey(TrainingCourse.starts_at, True), SortKey(TrainingCourse.id, True))


projects = Records(
    TrainingProject, "training_project", visibility.training_project, check=owned(),
    searched="name",
)  # fmt: skip
courses = Records(
    TrainingCourse, "training_course", visibility.training_course,
    binned=visibility.binned_training_course, parents={"project_id": projects},
    check=ordered("starts_at", "ends_at"), summary="title",
)  # fmt: skip
attendees = Records(
    TrainingAttendee, "training_attendee", visibility.training_attendee,
    parents={"course_id": courses, "customer_id": Records(Customer, "", visibility.customer)},
    check=same_parent("contact_id", Contact, "customer_id"), summary="customer_id",
)  # fmt: skip
