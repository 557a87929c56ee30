from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.auth.permissions import Advanced
from gql_crm.context import Info
from gql_crm.resolvers.common import mutate, paginate
from gql_crm.schema.approval import AlreadyDecidedError
from gql_crm.schema.common import (
    ConflictError,
    Connection,
    InvalidInputError,
    NotFoundError,
    requires,
)
from gql_crm.schema.constraints import constraint
from gql_crm.schema.expense import (
    ExpenseFilterInput,
    ExpenseInput,
    ExpensesSuccess,
    ExpenseSuccess,
    ExpenseType,
)
from gql_crm.schema.kit import values_of
from gql_crm.services import expense as service

ExpenseResult = Annotated[
    ExpenseSuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("ExpenseResult"),
]
ReviewExpensesResult = Annotated[
    ExpensesSuccess | InvalidInputError | NotFoundError | ConflictError | AlreadyDecidedError,
    strawberry.union("ReviewExpensesResult"),
]


@strawberry.type
class ExpenseQuery:
    @strawberry.field(
        extensions=[requires(service.EXPENSE_VIEW)],
        description="Income and expense records you may see, newest first (the approval list: "
        "filter status PENDING).",
    )
    async def expenses(
        self,
        info: Info,
        filter: ExpenseFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ExpenseType]:
        filters = service.ExpenseFilter(**values_of(filter or ExpenseFilterInput()))
        stmt = service.expense_query(info.context.require_principal(), filters)
        return await paginate(
            info, stmt, service.ORDER, first=first, after=after, to_node=ExpenseType.from_model
        )


@strawberry.type
class ExpenseMutation:
    @strawberry.mutation(
        extensions=[requires(service.EXPENSE_CREATE)],
        description="Expenses wait for approval; income is recorded as approved.",
    )
    async def create_expense(self, info: Info, input: ExpenseInput) -> ExpenseResult:
        fields = service.ExpenseFields(**values_of(input))
        return await mutate(
            info,
            lambda uow: service.create_expense(uow, fields),
            lambda e: ExpenseSuccess(expense=ExpenseType.from_model(e)),
        )

    @strawberry.mutation(
        extensions=[requires(Advanced.APPROVE_EXPENSES)],
        description="Approve (approve: true) or reject pending expenses, one or many, all or "
        "none. A rejection needs a comment; your own expenses need another reviewer.",
    )
    async def review_expenses(
        self,
        info: Info,
        ids: list[int],
        approve: bool,
        comment: Annotated[
            str | None, strawberry.argument(metadata=constraint(max_length=2000))
        ] = None,
    ) -> ReviewExpensesResult:
        return await mutate(
            info,
            lambda uow: service.review_expenses(uow, ids, approve, comment),
            lambda rows: ExpensesSuccess(expenses=[ExpenseType.from_model(e) for e in rows]),
        )
