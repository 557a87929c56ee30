from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, reference


class WorkLog(Base):
    """A work log (F7.3) submitted to a chosen leader."""

    __tablename__ = "work_logs"
    __table_args__ = (
        Index("ix_work_logs_author_id_id", "author_id", "id"),
        Index("ix_work_logs_leader_id_id", "leader_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    leader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    log_date: Mapped[date] = mapped_column(doc="The day the log covers.")
    content: Mapped[str] = mapped_column(Text, doc="What the user did.")
    created_at: Mapped[datetime]


class WorkLogComment(Base):
    __tablename__ = "work_log_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_log_id: Mapped[int] = reference("work_logs", "CASCADE")
    author_id: Mapped[int] = reference("users")
    content: Mapped[str] = mapped_column(Text, doc="The comment.")
    created_at: Mapped[datetime]
