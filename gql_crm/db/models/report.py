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
    day: Mapped[date]
    customers_added: Mapped[int]
    customers_claimed: Mapped[int]
    customers_released: Mapped[int]
    customers_transferred: Mapped[int]
    follow_ups: Mapped[int]
    # {"<follow-up method option id>" or "none": count}
    follow_ups_by_method: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tasks_completed: Mapped[int]
    opportunities_created: Mapped[int]
    opportunity_stage_moves: Mapped[int]
    orders: Mapped[int]
    order_amount: Mapped[Decimal] = mapped_column(Money)
    payments: Mapped[int]
    payment_amount: Mapped[Decimal] = mapped_column(Money)
    expenses: Mapped[int]
    expense_amount: Mapped[Decimal] = mapped_column(Money)
    generated_at: Mapped[datetime]
