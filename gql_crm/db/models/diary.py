"""The work diary (F7.8): one entry per user and day, private unless its author shares it
with their leader (the manager of their department), who may then comment on it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, Record, reference


class DiaryEntry(Record, Base):
    __tablename__ = "diary_entries"
    __table_args__ = (UniqueConstraint("owner_id", "entry_date"),)

    owner_id: Mapped[int] = reference("users", "CASCADE")
    entry_date: Mapped[date]
    content: Mapped[str] = mapped_column(Text)
    shared_with_leader: Mapped[bool] = mapped_column(Boolean, default=False)


class DiaryComment(Base):
    __tablename__ = "diary_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = reference("diary_entries", "CASCADE")
    author_id: Mapped[int] = reference("users", "CASCADE")
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
