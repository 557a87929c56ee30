from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, Money, reference, str_enum


class StageOutcome(enum.StrEnum):
    """What reaching a stage means: still open, won (signed) or lost."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


class OpportunityStage(Base):
    """One step of the sales process (F2.9); the list is editable."""

    __tablename__ = "opportunity_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True, doc="The stage's name.")
    sort_order: Mapped[int] = mapped_column(doc="Position in the funnel, first stage smallest.")
    outcome: Mapped[StageOutcome] = mapped_column(
        str_enum(StageOutcome, 8), doc="Whether reaching it wins, loses or keeps the deal open."
    )


class Opportunity(Base):
    __tablename__ = "opportunities"
    __table_args__ = (
        Index("ix_opportunities_owner_expected", "owner_id", "expected_sign_date"),
        # Statistics (intent customers): an owner's opportunities created over a range, with
        # their customer and type, from the index alone.
        Index(
            "ix_opportunities_owner_created",
            "owner_id",
            "created_at",
            postgresql_include=["customer_id", "type_id"],
        ),
        # The opportunities list, last changed first: a page from the index, the rule
        # tested on its rows.
        Index("ix_opportunities_updated", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = reference("customers", "CASCADE")
    title: Mapped[str] = mapped_column(String(200), doc="What the deal is.")
    type_id: Mapped[int | None] = reference("option_items")
    source_id: Mapped[int | None] = reference("option_items")
    stage_id: Mapped[int] = reference("opportunity_stages")
    amount: Mapped[Decimal] = mapped_column(Money)
    probability: Mapped[int]  # whole percent, 0-100
    expected_sign_date: Mapped[date | None] = mapped_column(
        doc="When the deal is expected to be signed."
    )
    remarks: Mapped[str | None] = mapped_column(Text, doc="Free notes.")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = reference("users")
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]


class OpportunityChange(Base):
    """One entry of an opportunity's stage history: who changed what, from -> to."""

    __tablename__ = "opportunity_changes"
    __table_args__ = (Index("ix_opportunity_changes_opportunity", "opportunity_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"))
    changed_by_id: Mapped[int | None] = reference("users")
    changed_at: Mapped[datetime] = mapped_column(index=True, doc="When the change was made.")
    from_stage_id: Mapped[int | None] = reference("opportunity_stages")
    to_stage_id: Mapped[int] = reference("opportunity_stages")
    from_amount: Mapped[Decimal | None] = mapped_column(Money, doc="The amount before.")
    to_amount: Mapped[Decimal] = mapped_column(Money, doc="The amount after.")
    from_probability: Mapped[int | None] = mapped_column(
        doc="The win probability before, in percent."
    )
    to_probability: Mapped[int] = mapped_column(doc="The win probability after, in percent.")
    from_expected_sign_date: Mapped[date | None] = mapped_column(
        doc="The expected signing day before."
    )
    to_expected_sign_date: Mapped[date | None] = mapped_column(
        doc="The expected signing day after."
    )


class DetailKind(enum.StrEnum):
    REQUIREMENT = "requirement"
    SOLUTION = "solution"
    QUOTE = "quote"
    COMPETITOR = "competitor"


class OpportunityDetail(Base):
    """A requirement, solution, quote or competitor recorded on an opportunity."""

    __tablename__ = "opportunity_details"
    __table_args__ = (Index("ix_opportunity_details_opportunity", "opportunity_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"))
    kind: Mapped[DetailKind] = mapped_column(
        str_enum(DetailKind, 16), doc="What the detail records."
    )
    title: Mapped[str] = mapped_column(String(200), doc="A short title.")
    content: Mapped[str | None] = mapped_column(Text, doc="The detail itself.")
    amount: Mapped[Decimal | None] = mapped_column(
        Money, doc="An amount, where the kind has one (a quote)."
    )  # quotes
    created_by_id: Mapped[int | None] = reference("users")
    created_at: Mapped[datetime]
