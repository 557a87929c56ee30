from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Index
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, Money, reference


class DailyReport(Base):
    """One user's CRM activity on one company day (F9.2), written by the nightly job."""

    __tablename__ = "daily_reports"
    __table_args__ = (Index("ix_daily_reports_day_user", "day", "user_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = reference("users", "CASCADE")
    day: Mapped[date] = mapped_column(doc="The company day the report covers.")
    customers_added: Mapped[int] = mapped_column(doc="Customers the user entered that day.")
    customers_claimed: Mapped[int] = mapped_column(
        doc="Customers the user claimed from the public pool."
    )
    customers_released: Mapped[int] = mapped_column(
        doc="The user's customers that went back to the public pool."
    )
    customers_transferred: Mapped[int] = mapped_column(
        doc="Customers the user transferred to someone else."
    )
    follow_ups: Mapped[int] = mapped_column(doc="Follow-ups the user recorded.")
    follow_ups_by_method: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, doc='Follow-ups by method: option id (or "none") -> count.'
    )
    tasks_completed: Mapped[int] = mapped_column(doc="To-dos the user completed.")
    opportunities_created: Mapped[int] = mapped_column(doc="Opportunities the user created.")
    opportunity_stage_moves: Mapped[int] = mapped_column(
        doc="Times the user moved an opportunity to another stage."
    )
    orders: Mapped[int] = mapped_column(doc="Orders the user signed.")
    order_amount: Mapped[Decimal] = mapped_column(Money, doc="Total amount of those orders.")
    payments: Mapped[int] = mapped_column(doc="Payments the user recorded.")
    payment_amount: Mapped[Decimal] = mapped_column(Money, doc="Total amount of those payments.")
    expenses: Mapped[int] = mapped_column(doc="Income and expense records the user entered.")
    expense_amount: Mapped[Decimal] = mapped_column(Money, doc="Total amount of those records.")
    generated_at: Mapped[datetime] = mapped_column(doc="When the nightly job wrote the report.")
