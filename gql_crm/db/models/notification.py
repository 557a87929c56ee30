from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, str_enum


class NotificationCategory(enum.StrEnum):
    """Personal: about your own work (approvals, customers, messages). System: company-wide."""

    PERSONAL = "personal"
    SYSTEM = "system"


class Notification(Base):
    """An entry of a user's notification bell (F7.9)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_id", "user_id", "id"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category: Mapped[NotificationCategory] = mapped_column(
        str_enum(NotificationCategory, 16), doc="Personal or system: the bell counts each apart."
    )
    kind: Mapped[str] = mapped_column(
        String(40), doc="What it is about, as a stable code (reminder, approval, pool warning...)."
    )
    title: Mapped[str] = mapped_column(String(200), doc="The headline.")
    body: Mapped[str] = mapped_column(Text, default="", doc="The text.")
    # The record it is about, for a link in the front end (e.g. "approval", 12).
    link_type: Mapped[str | None] = mapped_column(String(40))
    link_id: Mapped[int | None]
    read_at: Mapped[datetime | None] = mapped_column(doc="When you read it (null: unread).")
    created_at: Mapped[datetime]
