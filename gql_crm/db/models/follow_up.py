from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, reference


class FollowUp(Base):
    """A contact with the customer (F4.2); it resets the customer's pool clock."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        Index("ix_follow_ups_customer_time", "customer_id", "followed_at"),
        # Statistics: an author's follow-ups over a range, with their customer, from the
        # index alone.
        Index(
            "ix_follow_ups_author_time",
            "author_id",
            "followed_at",
            postgresql_include=["customer_id"],
        ),
        # The follow-ups list, newest first: a page is read from the index and the rule
        # tested on its rows (without it, every visible follow-up is joined and sorted).
        Index(
            "ix_follow_ups_live_time",
            "followed_at",
            "id",
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = reference("contacts", "SET NULL")
    method_id: Mapped[int | None] = reference("option_items")
    content: Mapped[str] = mapped_column(Text, doc="What was said or done.")
    followed_at: Mapped[datetime] = mapped_column(doc="When the follow-up happened.")
    next_step: Mapped[str | None] = mapped_column(Text, doc="What to do next.")
    author_id: Mapped[int | None] = reference("users")
    # The customer's opportunity it is about, if any (the opportunity view lists it).
    opportunity_id: Mapped[int | None] = reference("opportunities", "SET NULL")
    created_at: Mapped[datetime] = mapped_column(index=True)
    # In its deleter's recycle bin while set (``services/recycle_bin.py``).
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = reference("users")
