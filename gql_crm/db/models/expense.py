from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, Money, reference, str_enum


class ExpenseKind(enum.StrEnum):
    INCOME = "income"
    EXPENSE = "expense"


class ExpenseStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Expense(Base):
    """An income or expense record (F5.7), optionally for a customer. Expenses wait for
    approval; income needs none."""

    __tablename__ = "expenses"
    __table_args__ = (Index("ix_expenses_status_owner", "status", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = reference("customers", "CASCADE")
    kind: Mapped[ExpenseKind] = mapped_column(str_enum(ExpenseKind, 8), doc="Income or expense.")
    category: Mapped[str | None] = mapped_column(
        String(50), doc="What kind of income or expense it is."
    )
    amount: Mapped[Decimal] = mapped_column(Money, doc="The amount, positive.")
    occurred_on: Mapped[date] = mapped_column(doc="The day the money came in or went out.")
    description: Mapped[str] = mapped_column(Text, doc="What it was for.")
    owner_id: Mapped[int] = reference("users")
    status: Mapped[ExpenseStatus] = mapped_column(
        str_enum(ExpenseStatus, 8), doc="Where its review stands (income needs none)."
    )
    reviewed_by_id: Mapped[int | None] = reference("users")
    reviewed_at: Mapped[datetime | None] = mapped_column(doc="When it was approved or rejected.")
    review_comment: Mapped[str | None] = mapped_column(Text, doc="The reviewer's comment.")
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    # In its deleter's recycle bin while set (``services/recycle_bin.py``).
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = reference("users")
