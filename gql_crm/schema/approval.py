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

ApprovalTypeEnum = strawberry.enum(
    ApprovalType, name="ApprovalType", description="The kind of an application."
)
ApprovalStatusEnum = strawberry.enum(
    ApprovalStatus, name="ApprovalStatus", description="Where an application stands."
)
ApprovalActionEnum = strawberry.enum(
    ApprovalAction, name="ApprovalAction", description="What someone did to an application."
)


@strawberry.type(description="One step of an application's approval chain.")
class ApprovalStepType(ModelType):
    step: int = strawberry.field(description="The step's number, counting from 1.")
    approver_id: int
    decision: ApprovalActionEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="The approver's decision (null: not decided yet)."
    )
    comment: str | None = strawberry.field(description="The approver's comment.")
    decided_at: datetime | None = strawberry.field(description="When the approver decided.")

    approver = related(UserType, "approver_id", "user")


@strawberry.type(description="One thing someone did to an application, in the order it happened.")
class ApprovalHistoryEntry(ModelType):
    actor_id: int
    action: ApprovalActionEnum = strawberry.field(description="What was done.")  # type: ignore[valid-type]
    step: int | None = strawberry.field(
        description="The step it was done at (null for the applicant's own actions)."
    )
    comment: str | None = strawberry.field(description="The comment given with it.")
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

    @strawberry.field(
        description="The approval steps in order, each with its approver and decision."
    )
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
    action: ApprovalActionEnum = strawberry.field(  # type: ignore[valid-type]
        description="What just happened to the application."
    )
    actor_id: int
    approval: ApprovalType_ = strawberry.field(description="The application as it now stands.")


@strawberry.type(description="The record was already approved or rejected.")
class AlreadyDecidedError(Error):
    pass


register_error(
    errors.AlreadyDecided,
    lambda e: AlreadyDecidedError(code=e.code, message=e.message, field=e.field),
)
