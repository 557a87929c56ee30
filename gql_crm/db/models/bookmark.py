"""Bookmarks (F7.7): a user's own links, grouped in named folders, in the order they set."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, Record, reference


class Bookmark(Record, Base):
    __tablename__ = "bookmarks"

    owner_id: Mapped[int] = reference("users", "CASCADE")
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    folder: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
