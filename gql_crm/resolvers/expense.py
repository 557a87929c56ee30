from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.auth.permissions import Advanced
from gql_crm.resolvers.kit import STANDARD_FAILURES, connection, described, mutation
from gql_crm.schema.approval import AlreadyDecidedError
from gql_crm.schema.common import ConflictError, DeleteSuccess, NotFoundError
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
    expense_recycle_bin = connection(
        service.records.bin, ExpenseType, service.BIN_ORDER, needs=service.EXPENSE_DELETE,
        description="Income and expense records you deleted, latest first: restore or purge.",
    )  # fmt: skip


@strawberry.type
class ExpenseMutation:
    create_expense = mutation(
        service.create_expense, ExpenseSuccess, needs=service.EXPENSE_CREATE, input=ExpenseInput,
        description="Expenses wait for approval; income is recorded as approved.",
    )  # fmt: skip
    update_expense = mutation(
        service.update_expense, ExpenseSuccess, needs=service.EXPENSE_EDIT, id=int,
        input=ExpenseInput,
        description="Correct a record of yours or of your team; a changed expense waits for "
        "approval again.",
    )  # fmt: skip
    delete_expense = mutation(
        service.records.delete, DeleteSuccess, needs=service.EXPENSE_DELETE, id=int,
        failures=(NotFoundError, ConflictError), union="DeleteExpenseResult",
        description="Into your recycle bin.",
    )  # fmt: skip
    restore_expense = mutation(
        service.records.restore, ExpenseSuccess, needs=service.EXPENSE_DELETE, id=int,
        description="Bring a record back from your recycle bin exactly as it was.",
    )  # fmt: skip
    purge_expense = mutation(
        service.records.purge, DeleteSuccess, needs=service.EXPENSE_DELETE, id=int,
        failures=(NotFoundError, ConflictError), union="PurgeExpenseResult",
        description="Delete for good a record from your recycle bin.",
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
