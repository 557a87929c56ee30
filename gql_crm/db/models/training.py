"""Training (F3): projects such as "CRM course", their courses, and who attends which."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, Binnable, Record, reference, str_enum


class AttendeeStatus(enum.StrEnum):
    REGISTERED = "registered"
    ATTENDED = "attended"
    ABSENT = "absent"
    CANCELLED = "cancelled"


class TrainingProject(Record, Base):
    """Its owner's data scope decides who sees the project, its courses and their lists."""

    __tablename__ = "training_projects"
    owner_id: Mapped[int] = reference("users")
    name: Mapped[str] = mapped_column(String(200), doc="The project's name.")
    description: Mapped[str | None] = mapped_column(Text, doc="What the project is for.")


class TrainingCourse(Binnable, Base):
    __tablename__ = "training_courses"
    # No cascade: a project is deleted only once it has no course, not even a binned one.
    project_id: Mapped[int] = reference("training_projects")
    title: Mapped[str] = mapped_column(String(200), doc="The course's title.")
    lecturer: Mapped[str | None] = mapped_column(String(100), doc="Who teaches it.")
    starts_at: Mapped[datetime] = mapped_column(doc="When it starts.")
    ends_at: Mapped[datetime] = mapped_column(doc="When it ends.")
    content: Mapped[str | None] = mapped_column(Text, doc="What it covers.")


class TrainingAttendee(Record, Base):
    """A customer (through one of its contacts, or as a whole) on a course's list."""

    __tablename__ = "training_attendees"
    course_id: Mapped[int] = reference("training_courses", "CASCADE")
    customer_id: Mapped[int] = reference("customers", "CASCADE")
    contact_id: Mapped[int | None] = reference("contacts", "SET NULL")
    status: Mapped[AttendeeStatus] = mapped_column(
        str_enum(AttendeeStatus, 16), doc="Where the attendee stands."
    )
