from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, Money, reference, str_enum


class ApprovalType(enum.StrEnum):
    LEAVE = "leave"
    BUSINESS_TRIP = "business_trip"
    REIMBURSEMENT = "reimbursement"
    EXPENSE = "expense"
    CUSTOM = "custom"


class ApprovalStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ApprovalAction(enum.StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    COMMENT = "comment"
    WITHDRAW = "withdraw"


class Approval(Base):
    """An application (F7.2) that approvers decide on, one step after another."""

    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = reference("users")
    type: Mapped[ApprovalType] = mapped_column(
        str_enum(ApprovalType, 20),
        doc="The kind of application, which decides the fields it needs.",
    )
    title: Mapped[str] = mapped_column(String(200), doc="The subject of the application.")
    content: Mapped[str] = mapped_column(
        Text, default="", doc="What is applied for, in the applicant's words."
    )
    amount: Mapped[Decimal | None] = mapped_column(
        Money, doc="The money applied for (reimbursements and expenses)."
    )
    starts_on: Mapped[date | None] = mapped_column(doc="First day (leave and business trips).")
    ends_on: Mapped[date | None] = mapped_column(doc="Last day (leave and business trips).")
    status: Mapped[ApprovalStatus] = mapped_column(
        str_enum(ApprovalStatus, 16), index=True, doc="Where the application stands."
    )
    current_step: Mapped[int] = mapped_column(
        default=1, doc="The number of the step waiting for a decision, counting from 1."
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    decided_at: Mapped[datetime | None] = mapped_column(
        doc="When the last decision closed it (null: still pending)."
    )


class ApprovalStep(Base):
    """Step n of an approval: who decides it, and what they decided."""

    __tablename__ = "approval_steps"

    approval_id: Mapped[int] = mapped_column(
        ForeignKey("approvals.id", ondelete="CASCADE"), primary_key=True
    )
    step: Mapped[int] = mapped_column(primary_key=True)
    approver_id: Mapped[int] = reference("users")
    decision: Mapped[ApprovalAction | None] = mapped_column(str_enum(ApprovalAction, 16))
    comment: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]


class ApprovalHistory(Base):
    """Everything that happened to an approval, in order."""

    __tablename__ = "approval_history"
    __table_args__ = (Index("ix_approval_history_approval_id_id", "approval_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    approval_id: Mapped[int] = mapped_column(ForeignKey("approvals.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = reference("users")
    action: Mapped[ApprovalAction] = mapped_column(str_enum(ApprovalAction, 16))
    step: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
