from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, Money, reference


class PaymentPlan(Base):
    """A planned instalment of an order (F5.4)."""

    __tablename__ = "payment_plans"
    __table_args__ = (
        # The workbench's receivables: the open plans in their order (due date, id), with
        # their orders (PostgreSQL), without reading the plans already met or the table.
        Index(
            "ix_payment_plans_unmet",
            "due_on",
            "id",
            postgresql_include=["order_id"],
            sqlite_where=text("NOT met"),
            postgresql_where=text("NOT met"),
        ),
        # The same for a caller who sees only some orders: their orders' open plans.
        Index(
            "ix_payment_plans_unmet_by_order",
            "order_id",
            "due_on",
            "id",
            sqlite_where=text("NOT met"),
            postgresql_where=text("NOT met"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = reference("orders", "CASCADE")
    due_on: Mapped[date] = mapped_column(doc="When the amount is due.")
    amount: Mapped[Decimal] = mapped_column(Money, doc="The amount due.")
    remarks: Mapped[str | None] = mapped_column(Text, doc="Free notes.")
    # Kept by services/payment.py (``store_plans_met``) on every write to the order's plans
    # or payments, so that reads can skip the plans already met by an index.
    met: Mapped[bool] = mapped_column(
        default=False,
        server_default=false(),
        doc="The order's payments cover this plan and every plan due before it.",
    )
    created_at: Mapped[datetime]


class PaymentRecord(Base):
    """Money received for an order; the received total never exceeds the order amount."""

    __tablename__ = "payment_records"
    # The payments list, latest first: a page from the index, the rule tested on its rows.
    __table_args__ = (Index("ix_payment_records_paid", "paid_on", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = reference("orders", "CASCADE")
    plan_id: Mapped[int | None] = reference("payment_plans", "SET NULL")
    sequence: Mapped[int]  # the n-th payment of the order
    paid_on: Mapped[date] = mapped_column(doc="The day the money arrived.")
    amount: Mapped[Decimal] = mapped_column(Money, doc="The amount received.")
    handler_id: Mapped[int | None] = reference("users")
    invoiced: Mapped[bool] = mapped_column(doc="Whether an invoice was issued for it.")
    remarks: Mapped[str | None] = mapped_column(Text, doc="Free notes.")
    created_by_id: Mapped[int | None] = reference("users")
    created_at: Mapped[datetime] = mapped_column(index=True)


class Refund(Base):
    """Money paid back on an order (F5.3); the refunded total never exceeds what was paid."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = reference("orders", "CASCADE")
    amount: Mapped[Decimal] = mapped_column(Money, doc="The amount paid back.")
    refunded_at: Mapped[datetime] = mapped_column(doc="When it was paid back.")
    reason: Mapped[str] = mapped_column(String(500), doc="Why.")
    created_by_id: Mapped[int | None] = reference("users")
    created_at: Mapped[datetime]
