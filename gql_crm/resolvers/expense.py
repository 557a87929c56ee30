from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.auth.permissions import Advanced
from gql_crm.resolvers.kit import STANDARD_FAILURES, connection, described, mutation
from gql_crm.schema.approval import AlreadyDecidedError
from gql_crm.schema.constraints import constraint
from gql_crm.schema.expense import (
    ExpenseFilterInput,
    ExpenseInput,
    ExpensesSuccess,
    ExpenseSuccess,
    ExpenseType,
)
from gql_crm.services import expense as service


@strawberry.type
class ExpenseQuery:
    expenses = connection(
        service.expense_query, ExpenseType, service.ORDER, needs=service.EXPENSE_VIEW,
        description="Income and expense records you may see, newest first (the approval list: "
        "filter status PENDING).",
        filter=ExpenseFilterInput | None,
    )  # fmt: skip


@strawberry.type
class ExpenseMutation:
    create_expense = mutation(
        service.create_expense, ExpenseSuccess, needs=service.EXPENSE_CREATE, input=ExpenseInput,
        description="Expenses wait for approval; income is recorded as approved.",
    )  # fmt: skip
    review_expenses = mutation(
        service.review_expenses, ExpensesSuccess, needs=Advanced.APPROVE_EXPENSES,
        failures=(*STANDARD_FAILURES, AlreadyDecidedError), union="ReviewExpensesResult",
        description="Approve (approve: true) or reject pending expenses, one or many, all or "
        "none. A rejection needs a comment; your own expenses need another reviewer.",
        ids=described(list[int], "The expenses to decide on."),
        approve=described(bool, "true: approve them; false: reject them."),
        comment=Annotated[
            str | None,
            strawberry.argument(
                metadata=constraint(max_length=2000),
                description="Why (needed to reject), for the people who entered them.",
            ),
        ],
    )  # fmt: skip
