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
    kind: Mapped[ExpenseKind] = mapped_column(str_enum(ExpenseKind, 8))
    category: Mapped[str | None] = mapped_column(String(50))
    amount: Mapped[Decimal] = mapped_column(Money)
    occurred_on: Mapped[date]
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = reference("users")
    status: Mapped[ExpenseStatus] = mapped_column(str_enum(ExpenseStatus, 8))
    reviewed_by_id: Mapped[int | None] = reference("users")
    reviewed_at: Mapped[datetime | None]
    review_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    # In its deleter's recycle bin while set (``services/recycle_bin.py``).
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = reference("users")
