from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import Approval, ApprovalAction, ApprovalStatus, ApprovalType
from gql_crm.schema.common import Error, register_error
from gql_crm.schema.constraints import constraint
from gql_crm.schema.kit import ModelInput, ModelType, related
from gql_crm.schema.user import UserType
from gql_crm.services import errors

ApprovalTypeEnum = strawberry.enum(ApprovalType, name="ApprovalType")
ApprovalStatusEnum = strawberry.enum(ApprovalStatus, name="ApprovalStatus")
ApprovalActionEnum = strawberry.enum(ApprovalAction, name="ApprovalAction")


@strawberry.type
class ApprovalStepType(ModelType):
    step: int
    approver_id: int
    decision: ApprovalActionEnum | None  # type: ignore[valid-type]
    comment: str | None
    decided_at: datetime | None

    approver = related(UserType, "approver_id", "user")


@strawberry.type
class ApprovalHistoryEntry(ModelType):
    actor_id: int
    action: ApprovalActionEnum  # type: ignore[valid-type]
    step: int | None
    comment: str | None
    created_at: datetime

    actor = related(UserType, "actor_id", "user")


@strawberry.type(name="Approval", description="An application decided step by step.")
class ApprovalType_(ModelType, model=Approval):
    id: int
    applicant_id: int
    type: ApprovalTypeEnum  # type: ignore[valid-type]
    title: str
    content: str
    amount: Decimal | None
    starts_on: date | None
    ends_on: date | None
    status: ApprovalStatusEnum  # type: ignore[valid-type]
    current_step: int
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None

    applicant = related(UserType, "applicant_id", "user")

    @strawberry.field
    async def steps(self, info: Info) -> list[ApprovalStepType]:
        rows = await info.context.loaders.approval_steps.load(self.id)
        return [ApprovalStepType.from_model(row) for row in rows]

    @strawberry.field(description="Everything that happened, oldest first.")
    async def history(self, info: Info) -> list[ApprovalHistoryEntry]:
        rows = await info.context.loaders.approval_history.load(self.id)
        return [ApprovalHistoryEntry.from_model(row) for row in rows]


@strawberry.input
class ApprovalInput(ModelInput, model=Approval):
    type: ApprovalTypeEnum  # type: ignore[valid-type]
    title: str = strawberry.field(
        metadata=constraint(max_length=200, single_line=True, required=True)
    )
    approver_ids: list[int] = strawberry.field(
        description="One approver per step, in order; each decides after the previous approved."
    )
    content: str = strawberry.field(default="", metadata=constraint(max_length=10_000))
    amount: Decimal | None = strawberry.field(
        default=None, description="Required for REIMBURSEMENT and EXPENSE."
    )
    starts_on: date | None = strawberry.field(
        default=None, description="Required for LEAVE and BUSINESS_TRIP, with endsOn."
    )
    ends_on: date | None = None


@strawberry.type
class ApprovalSuccess:
    approval: ApprovalType_


@strawberry.type(description="Something happened to an approval you may watch.")
class ApprovalUpdate:
    action: ApprovalActionEnum  # type: ignore[valid-type]
    actor_id: int
    approval: ApprovalType_


@strawberry.type(description="The record was already approved or rejected.")
class AlreadyDecidedError(Error):
    pass


register_error(
    errors.AlreadyDecided,
    lambda e: AlreadyDecidedError(code=e.code, message=e.message, field=e.field),
)
