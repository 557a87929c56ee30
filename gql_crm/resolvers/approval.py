from __future__ import annotations

from functools import partial
from typing import Annotated

import strawberry

from gql_crm.context import Info
from gql_crm.resolvers.common import read
from gql_crm.resolvers.kit import connection, default, described, mutation
from gql_crm.schema.approval import (
    ApprovalInput,
    ApprovalStatusEnum,
    ApprovalSuccess,
    ApprovalType_,
)
from gql_crm.schema.common import InvalidInputError
from gql_crm.schema.constraints import constraint
from gql_crm.services import approval as service

Comment = Annotated[
    str | None,
    strawberry.argument(
        metadata=constraint(max_length=5000), description="A comment for the applicant."
    ),
]
RequiredComment = Annotated[
    str,
    strawberry.argument(
        metadata=constraint(max_length=5000, required=True), description="The comment."
    ),
]
ONCE = "Only the approver of the current step; once."


@strawberry.type
class ApprovalQuery:
    approvals = connection(
        service.approvals_query, ApprovalType_, service.ORDER,
        description="Applications you made, must decide, or (as a manager) whose applicant is "
        "in your scope; newest first.",
        status=described(ApprovalStatusEnum | None, "Only applications in this status."),
        awaiting_me=default(described(bool, "Only those waiting for your decision."), False),
    )  # fmt: skip

    @strawberry.field(description="One application you may see, by id (null: none you may see).")
    async def approval(self, info: Info, id: int) -> ApprovalType_ | None:
        principal = info.context.require_principal()
        row = await read(
            info, partial(service.visible_approval, principal=principal, approval_id=id)
        )
        return ApprovalType_.from_model(row) if row else None


@strawberry.type
class ApprovalMutation:
    apply_for_approval = mutation(
        service.apply, ApprovalSuccess, needs=None, failures=(InvalidInputError,),
        union="ApplyResult", description="Apply; the first approver is notified.",
        input=ApprovalInput,
    )  # fmt: skip
    approve = mutation(
        service.approve, ApprovalSuccess, needs=None, union="ApprovalResult",
        description=ONCE, id=int, comment=Comment,
    )  # fmt: skip
    reject = mutation(
        service.reject, ApprovalSuccess, needs=None, union="ApprovalResult",
        description=ONCE, id=int, comment=Comment,
    )  # fmt: skip
    comment_on_approval = mutation(
        service.comment, ApprovalSuccess, needs=None, union="ApprovalResult",
        id=int, comment=RequiredComment,
        description="Adds a comment to an application you take part in, without deciding it.",
    )  # fmt: skip
    withdraw_approval = mutation(
        service.withdraw, ApprovalSuccess, needs=None, union="ApprovalResult",
        description="The applicant takes back a pending application.", id=int,
    )  # fmt: skip
