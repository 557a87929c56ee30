"""Background jobs a user starts (F11): imports and exports of workbooks, with their
progress, their files and what went wrong."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, reference, str_enum


class JobKind(enum.StrEnum):
    IMPORT = "import"
    EXPORT = "export"


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class Job(Base):
    """One import or export; its owner (and administrators) see it and its files."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(str_enum(JobKind, 16))
    # What is imported or exported ("customers", "orders"...): a key of the job registries.
    subject: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int] = reference("users", "CASCADE")
    state: Mapped[JobState] = mapped_column(str_enum(JobState, 16))
    dry_run: Mapped[bool] = mapped_column(default=False)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rows_done: Mapped[int] = mapped_column(default=0)
    rows_total: Mapped[int | None]
    # The uploaded workbook (imports), the exported one, the marked copy of a refused one.
    input_key: Mapped[str | None] = mapped_column(String(32))
    input_name: Mapped[str | None] = mapped_column(String(255))
    result_key: Mapped[str | None] = mapped_column(String(32))
    result_name: Mapped[str | None] = mapped_column(String(255))
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    problem_count: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
