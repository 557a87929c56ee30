"""Commission plans: what a salesperson (sales plans) or a manager (management plans, on
their departments' sales) earns per month, quarter or year. A plan's rules are kept as
versions, each in force from a date, so that a past period always recomputes the same."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, Record, reference, str_enum


class CommissionKind(enum.StrEnum):
    SALES = "sales"
    MANAGEMENT = "management"


class CommissionPlan(Record, Base):
    __tablename__ = "commission_plans"
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[CommissionKind] = mapped_column(str_enum(CommissionKind, 16))


class CommissionPlanVersion(Base):
    """The plan's rules from ``effective_from`` until the next version's date; never edited."""

    __tablename__ = "commission_plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = reference("commission_plans", "CASCADE")
    effective_from: Mapped[date]
    # The rules as services/commission.py reads them (Rules.from_json).
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = reference("users")
    created_at: Mapped[datetime]
