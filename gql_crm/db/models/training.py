"""Training (F3): projects such as "CRM course", their courses, and who attends which."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, str_enum


class AttendeeStatus(enum.StrEnum):
    REGISTERED = "registered"
    ATTENDED = "attended"
    ABSENT = "absent"
    CANCELLED = "cancelled"


class TrainingProject(Base):
    """Its owner's data scope decides who sees the project, its courses and their lists."""

    __tablename__ = "training_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TrainingCourse(Base):
    """Goes to its deleter's recycle bin when deleted."""

    __tablename__ = "training_courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("training_projects.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    lecturer: Mapped[str | None] = mapped_column(String(100))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    content: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)


class TrainingAttendee(Base):
    """A customer (through one of its contacts, or as a whole) on a course's list."""

    __tablename__ = "training_attendees"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("training_courses.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[AttendeeStatus] = mapped_column(str_enum(AttendeeStatus, 16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
