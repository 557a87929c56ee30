from __future__ import annotations

from functools import partial
from typing import Annotated

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import Approval
from gql_crm.resolvers.common import mutate, paginate, read
from gql_crm.schema.approval import (
    ApprovalInput,
    ApprovalStatusEnum,
    ApprovalSuccess,
    ApprovalType_,
)
from gql_crm.schema.common import ConflictError, Connection, InvalidInputError, NotFoundError
from gql_crm.schema.constraints import constraint
from gql_crm.schema.kit import values_of
from gql_crm.services import approval as approval_service

Comment = Annotated[str | None, strawberry.argument(metadata=constraint(max_length=5000))]
RequiredComment = Annotated[
    str, strawberry.argument(metadata=constraint(max_length=5000, required=True))
]
ApplyResult = Annotated[ApprovalSuccess | InvalidInputError, strawberry.union("ApplyResult")]
ApprovalResult = Annotated[
    ApprovalSuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("ApprovalResult"),
]


def _success(approval: Approval) -> ApprovalSuccess:
    return ApprovalSuccess(approval=ApprovalType_.from_model(approval))


@strawberry.type
class ApprovalQuery:
    @strawberry.field(
        description="Applications you made, must decide, or (as a manager) whose applicant is "
        "in your scope; newest first."
    )
    async def approvals(
        self,
        info: Info,
        status: ApprovalStatusEnum | None = None,  # type: ignore[valid-type]
        awaiting_me: bool = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ApprovalType_]:
        principal = info.context.require_principal()
        stmt = approval_service.approvals_query(principal, status=status, awaiting_me=awaiting_me)
        return await paginate(
            info,
            stmt,
            approval_service.ORDER,
            first=first,
            after=after,
            to_node=ApprovalType_.from_model,
        )

    @strawberry.field
    async def approval(self, info: Info, id: int) -> ApprovalType_ | None:
        principal = info.context.require_principal()
        row = await read(
            info, partial(approval_service.visible_approval, principal=principal, approval_id=id)
        )
        return ApprovalType_.from_model(row) if row else None


@strawberry.type
class ApprovalMutation:
    @strawberry.mutation(description="Apply; the first approver is notified.")
    async def apply_for_approval(self, info: Info, input: ApprovalInput) -> ApplyResult:
        info.context.require_principal()
        application = approval_service.Application(**values_of(input))
        return await mutate(info, lambda uow: approval_service.apply(uow, application), _success)

    @strawberry.mutation(description="Only the approver of the current step; once.")
    async def approve(self, info: Info, id: int, comment: Comment = None) -> ApprovalResult:
        info.context.require_principal()
        return await mutate(
            info, lambda uow: approval_service.decide(uow, id, True, comment), _success
        )

    @strawberry.mutation(description="Only the approver of the current step; once.")
    async def reject(self, info: Info, id: int, comment: Comment = None) -> ApprovalResult:
        info.context.require_principal()
        return await mutate(
            info, lambda uow: approval_service.decide(uow, id, False, comment), _success
        )

    @strawberry.mutation
    async def comment_on_approval(
        self, info: Info, id: int, comment: RequiredComment
    ) -> ApprovalResult:
        info.context.require_principal()
        return await mutate(info, lambda uow: approval_service.comment(uow, id, comment), _success)

    @strawberry.mutation(description="The applicant takes back a pending application.")
    async def withdraw_approval(self, info: Info, id: int) -> ApprovalResult:
        info.context.require_principal()
        return await mutate(info, lambda uow: approval_service.withdraw(uow, id), _success)
