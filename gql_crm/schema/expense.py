from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from gql_crm.db.models import ExpenseKind, ExpenseStatus
from gql_crm.schema.constraints import constraint
from gql_crm.schema.kit import ModelType, related
from gql_crm.schema.links import customer_link
from gql_crm.schema.user import UserType

ExpenseKindEnum = strawberry.enum(ExpenseKind, name="ExpenseKind")
ExpenseStatusEnum = strawberry.enum(
    ExpenseStatus,
    name="ExpenseStatus",
    description="Expenses start PENDING until approved or rejected; income is APPROVED.",
)


@strawberry.type(name="Expense", description="An income or expense record.")
class ExpenseType(ModelType):
    id: int
    customer_id: int | None
    kind: ExpenseKindEnum  # type: ignore[valid-type]
    category: str | None
    amount: Decimal
    occurred_on: date
    description: str
    owner_id: int
    status: ExpenseStatusEnum  # type: ignore[valid-type]
    reviewed_by_id: int | None
    reviewed_at: datetime | None
    review_comment: str | None
    created_at: datetime

    owner = related(UserType, "owner_id", "user")
    customer = customer_link()

    reviewed_by = related(UserType, "reviewed_by_id", "user")


@strawberry.input
class ExpenseInput:
    amount: Decimal = strawberry.field(description="More than zero.")
    occurred_on: date
    description: str = strawberry.field(metadata=constraint(max_length=2000, required=True))
    kind: ExpenseKindEnum = ExpenseKind.EXPENSE  # type: ignore[valid-type]
    customer_id: int | None = None
    category: str | None = strawberry.field(
        default=None, metadata=constraint(max_length=50, single_line=True)
    )


@strawberry.input
class ExpenseFilterInput:
    status: ExpenseStatusEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only records in this state."
    )
    kind: ExpenseKindEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only income or only expenses."
    )
    customer_id: int | None = None
    owner_id: int | None = None
    search: str | None = strawberry.field(
        default=None, description="Description or category contains."
    )
    occurred_from: date | None = strawberry.field(default=None, description="On or after.")
    occurred_to: date | None = strawberry.field(default=None, description="On or before.")


@strawberry.type
class ExpenseSuccess:
    expense: ExpenseType


@strawberry.type
class ExpensesSuccess:
    expenses: list[ExpenseType]
