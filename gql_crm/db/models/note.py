"""The notepad (F7.6): notes only their owner ever sees."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, Record, reference


class Note(Record, Base):
    __tablename__ = "notes"

    owner_id: Mapped[int] = reference("users", "CASCADE")
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str | None] = mapped_column(Text)
