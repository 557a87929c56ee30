"""Daily sums of the order facts the statistics reports add up (``services/statistics.py``
says what counts; ``services/statistics_rollup.py`` keeps these equal to it).

A row holds what one owner's counted orders of one deal type came to on one company day
(the buyers, ``BuyerPeriod``, also in one month and in one year).
The days are DATE columns: an order's sign date and a payment's date are company days
already, so the sums do not depend on the company's time zone. A refund is a moment, whose
day the time zone decides: refunds are summed by the moment (they are few), and a report
turns the moment into its day as it reads. ``deal_type_id`` is 0 for orders without a deal
type: the key is the primary key, and a key column cannot be NULL.

``IntentProduct`` is not a sum but the facts of the intent metrics themselves, one row per
opportunity and product its live orders name, so that a report reads them without walking
every opportunity's orders and lines.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, PrimaryKeyConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, str_enum

Sum = Numeric(18, 2, asdecimal=True)


class _OwnerDayType:
    """The key of a day's sums: whose, which company day, which deal type (0: none); the
    first columns of its table."""

    owner_id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    day: Mapped[date] = mapped_column(primary_key=True, sort_order=-1)
    deal_type_id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)


class OrderDay(_OwnerDayType, Base):
    """Signed amounts, payments received and line quantities by (owner, day, deal type)."""

    __tablename__ = "statistics_order_days"

    # Each sum has the number of facts in it: a report lists a group (a deal type) when it
    # has facts, even facts that come to nothing.
    signed_orders: Mapped[int] = mapped_column(doc="Orders signed that day.")
    signed_amount: Mapped[Decimal] = mapped_column(Sum, doc="What they came to.")
    lines: Mapped[int] = mapped_column(doc="The lines of those orders.")
    quantity: Mapped[Decimal] = mapped_column(Sum, doc="Units on those lines.")
    payments: Mapped[int] = mapped_column(doc="Payments received that day.")
    received: Mapped[Decimal] = mapped_column(Sum, doc="What they came to.")


class ProductDay(_OwnerDayType, Base):
    """The lines of signed orders by (owner, day, deal type, product): quantity and amount.
    A line's cost is the product's cost now, so it is applied when a report reads."""

    __tablename__ = "statistics_product_days"

    product_id: Mapped[int] = mapped_column(primary_key=True)
    lines: Mapped[int] = mapped_column(doc="Order lines.")
    quantity: Mapped[Decimal] = mapped_column(Sum, doc="Units sold.")
    amount: Mapped[Decimal] = mapped_column(Sum, doc="What the lines came to.")


class Span(enum.StrEnum):
    """How long the period of a row of buyers is; its ``day`` is the period's first day."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class BuyerPeriod(_OwnerDayType, Base):
    """Who bought what: the lines of signed orders by (owner, period, deal type, product,
    customer), for every day, month and year with purchases. A count of distinct buyers over
    whole months or years then reads one row per buyer and product in each, not one per
    purchase (over a year of the benchmark's data, 66,000 rows instead of 109,000)."""

    __tablename__ = "statistics_buyer_periods"
    __table_args__ = (
        # The key in the order a report reads it, a caller's range of periods of one span,
        # with the lines beside it: an index-only scan, and the only index to keep.
        PrimaryKeyConstraint(
            "owner_id",
            "span",
            "day",
            "product_id",
            "customer_id",
            "deal_type_id",
            postgresql_include=["lines"],
        ),
    )

    product_id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(primary_key=True)
    span: Mapped[Span] = mapped_column(str_enum(Span, 5), primary_key=True)
    lines: Mapped[int] = mapped_column(doc="Order lines.")


class RefundSum(Base):
    """Refunds by (owner, moment, deal type), with the owner and deal type of their order."""

    __tablename__ = "statistics_refund_sums"

    owner_id: Mapped[int] = mapped_column(primary_key=True)
    refunded_at: Mapped[datetime] = mapped_column(primary_key=True)
    deal_type_id: Mapped[int] = mapped_column(primary_key=True)
    refunds: Mapped[int] = mapped_column(doc="Refunds paid back at that moment.")
    amount: Mapped[Decimal] = mapped_column(Sum, doc="What they came to.")


class IntentProduct(Base):
    """Each opportunity with every product its live orders name, or product 0 when they
    name none; with the opportunity's owner, creation moment and customer (which the
    reports select and group by), copied so that one index answers a caller's range."""

    __tablename__ = "statistics_intent_products"
    __table_args__ = (
        Index(
            "ix_statistics_intent_products_owner_created",
            "owner_id",
            "created_at",
            postgresql_include=["product_id", "customer_id"],
        ),
    )

    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(primary_key=True, doc="0: no product named.")
    owner_id: Mapped[int] = mapped_column(doc="The opportunity's owner.")
    created_at: Mapped[datetime] = mapped_column(doc="When the opportunity was created.")
    customer_id: Mapped[int] = mapped_column(doc="The opportunity's customer.")
