"""Marketing campaigns (F12): what a campaign cost, whom it reached and which customers it
brought."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, Binnable, Money, Record, reference, str_enum


class CampaignStatus(enum.StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class Campaign(Binnable, Base):
    """Its owner's data scope decides who sees it and its figures."""

    __tablename__ = "campaigns"
    owner_id: Mapped[int] = reference("users")
    name: Mapped[str] = mapped_column(String(200))
    campaign_type: Mapped[str | None] = mapped_column(String(50))
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    budget: Mapped[Decimal] = mapped_column(Money)
    actual_cost: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[CampaignStatus] = mapped_column(str_enum(CampaignStatus, 16))
    description: Mapped[str | None] = mapped_column(Text)


class CampaignMember(Record, Base):
    """A customer (through one of its contacts, or as a whole) the campaign reached; with
    ``brought``, the campaign is where the customer came from."""

    __tablename__ = "campaign_members"
    campaign_id: Mapped[int] = reference("campaigns", "CASCADE")
    customer_id: Mapped[int] = reference("customers", "CASCADE")
    contact_id: Mapped[int | None] = reference("contacts", "SET NULL")
    brought: Mapped[bool]
