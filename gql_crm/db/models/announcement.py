from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, reference, str_enum


class Audience(enum.StrEnum):
    EVERYONE = "everyone"
    DEPARTMENTS = "departments"
    USERS = "users"


class Announcement(Base):
    """A company announcement (F7.4) for everyone, some departments or some users."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), doc="The headline.")
    content: Mapped[str] = mapped_column(Text, doc="The text.")
    # How the title is shown, e.g. {"color": "#c00", "bold": true}; free-form for front ends.
    title_style: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    audience: Mapped[Audience] = mapped_column(str_enum(Audience, 16), doc="Who receives it.")
    # Department ids (DEPARTMENTS: those and their sub-departments) or user ids (USERS).
    audience_ids: Mapped[list[int]] = mapped_column(
        JSON,
        default=list,
        doc="The departments or users it goes to, when the audience is DEPARTMENTS or USERS.",
    )
    author_id: Mapped[int | None] = reference("users")
    published_at: Mapped[datetime | None] = mapped_column(
        index=True, doc="When it was published (null: still a draft)."
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
