from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, Money, reference

Quantity = Numeric(14, 2, asdecimal=True)
Rate = Numeric(5, 4, asdecimal=True)
OPEN_LIVE_ORDER = "unmet_due_on IS NOT NULL AND deleted_at IS NULL"


class Order(Base):
    """An order / contract (F5.2). Deleting one moves it to the deleter's recycle bin."""

    __tablename__ = "orders"
    __table_args__ = (
        # With the ids: the orders a caller may see (owner's or customer's, as
        # ``visibility.on_customer`` narrows them first) come from the indexes alone.
        Index("ix_orders_customer_deleted", "customer_id", "deleted_at", postgresql_include=["id"]),
        Index("ix_orders_owner_id", "owner_id", postgresql_include=["id"]),
        Index("ix_orders_deleted_by", "deleted_by_id"),
        # A month's signed orders (the workbench's sales), without reading the others.
        Index(
            "ix_orders_signed_live",
            "signed_on",
            sqlite_where=text("deleted_at IS NULL AND signed_on IS NOT NULL"),
            postgresql_where=text("deleted_at IS NULL AND signed_on IS NOT NULL"),
        ),
        # A salesperson's orders with a plan still to be paid (the workbench's receivables),
        # whatever the number of orders they have signed before.
        *(
            Index(
                f"ix_orders_unmet_by_{key}",
                f"{key}_id",
                "unmet_due_on",
                sqlite_where=text(OPEN_LIVE_ORDER),
                postgresql_where=text(OPEN_LIVE_ORDER),
                postgresql_include=["id"],
            )
            for key in ("owner", "customer")
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    opportunity_id: Mapped[int | None] = reference("opportunities", "SET NULL")
    title: Mapped[str] = mapped_column(String(200), doc="What was sold.")
    amount: Mapped[Decimal] = mapped_column(
        Money, doc="The order's amount: the sum of its lines unless set by hand."
    )
    amount_is_explicit: Mapped[bool] = mapped_column(
        doc="True when the amount was set by hand; otherwise it is the sum of the line amounts."
    )
    signed_on: Mapped[date | None] = mapped_column(doc="The day the contract was signed.")
    starts_on: Mapped[date | None] = mapped_column(doc="The day the contract starts.")
    expires_on: Mapped[date | None] = mapped_column(
        doc="The day it expires: unpaid after it, the order counts as expired."
    )
    remarks: Mapped[str | None] = mapped_column(Text, doc="Free notes.")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # ix_orders_owner_id
    created_by_id: Mapped[int | None] = reference("users")
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The due day of the order's first payment plan not yet met (null: none), kept with the
    # plans' ``met`` flags by services/payment.py (``store_plans_met``).
    unmet_due_on: Mapped[date | None]


class OrderLine(Base):
    """A product on an order: quantity x unit price x (1 - discount), rounded to the cent."""

    __tablename__ = "order_lines"
    __table_args__ = (Index("ix_order_lines_order_position", "order_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int]
    product_id: Mapped[int] = reference("products")
    quantity: Mapped[Decimal] = mapped_column(Quantity, doc="How many units.")
    unit_price: Mapped[Decimal] = mapped_column(Money, doc="The price of one unit.")
    discount: Mapped[Decimal] = mapped_column(Rate)  # a fraction: 0.1 is 10 % off
    amount: Mapped[Decimal] = mapped_column(
        Money, doc="quantity x unitPrice x (1 - discount), to the cent."
    )


class Invoice(Base):
    """An invoice issued for an order (F5.5)."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = reference("orders", "CASCADE")
    number: Mapped[str] = mapped_column(String(50), doc="The invoice number, unique per order.")
    amount: Mapped[Decimal] = mapped_column(Money, doc="The invoiced amount.")
    issued_on: Mapped[date] = mapped_column(doc="The day it was issued.")
    remarks: Mapped[str | None] = mapped_column(Text, doc="Free notes.")
    created_by_id: Mapped[int | None] = reference("users")
    created_at: Mapped[datetime]


class DeliveryPlan(Base):
    """A planned delivery of part of an order line (F5.6)."""

    __tablename__ = "delivery_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = reference("order_lines", "CASCADE")
    due_on: Mapped[date] = mapped_column(doc="When the quantity is due to be delivered.")
    quantity: Mapped[Decimal] = mapped_column(Quantity, doc="How many units are due.")
    remarks: Mapped[str | None] = mapped_column(Text, doc="Free notes.")
    created_at: Mapped[datetime]


class DeliveryRecord(Base):
    """A delivery that happened; the delivered total never exceeds the line's quantity."""

    __tablename__ = "delivery_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = reference("order_lines", "CASCADE")
    plan_id: Mapped[int | None] = reference("delivery_plans", "SET NULL")
    delivered_on: Mapped[date] = mapped_column(doc="When the goods were delivered.")
    quantity: Mapped[Decimal] = mapped_column(Quantity, doc="How many units were delivered.")
    remarks: Mapped[str | None] = mapped_column(Text, doc="Free notes.")
    handler_id: Mapped[int | None] = reference("users")
    created_at: Mapped[datetime]
