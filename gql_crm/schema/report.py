from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import DailyReport
from gql_crm.schema.user import UserType
from gql_crm.services.report import NO_METHOD


@strawberry.type(description="Follow-ups of one method (null: none given) in a daily report.")
class FollowUpMethodCount:
    method_id: int | None
    count: int


@strawberry.type(
    name="DailyReport",
    description="One user's CRM activity on one company day (F9.2), written every night. "
    "Counts what was recorded that day (tasksCompleted: to-dos marked done that day).",
)
class DailyReportType:
    id: int
    user_id: int
    day: date
    customers_added: int
    customers_claimed: int
    customers_released: int
    customers_transferred: int
    follow_ups: int
    follow_ups_by_method: list[FollowUpMethodCount]
    tasks_completed: int
    opportunities_created: int
    opportunity_stage_moves: int
    orders: int
    order_amount: Decimal
    payments: int
    payment_amount: Decimal
    expenses: int
    expense_amount: Decimal
    generated_at: datetime

    @classmethod
    def from_model(cls, row: DailyReport) -> DailyReportType:
        methods = sorted(
            (
                (None if key == NO_METHOD else int(key), int(n))
                for key, n in (row.follow_ups_by_method or {}).items()
            ),
            key=lambda method: (method[0] is not None, method[0] or 0),
        )
        return cls(
            id=row.id,
            user_id=row.user_id,
            day=row.day,
            customers_added=row.customers_added,
            customers_claimed=row.customers_claimed,
            customers_released=row.customers_released,
            customers_transferred=row.customers_transferred,
            follow_ups=row.follow_ups,
            follow_ups_by_method=[FollowUpMethodCount(method_id=m, count=n) for m, n in methods],
            tasks_completed=row.tasks_completed,
            opportunities_created=row.opportunities_created,
            opportunity_stage_moves=row.opportunity_stage_moves,
            orders=row.orders,
            order_amount=row.order_amount,
            payments=row.payments,
            payment_amount=row.payment_amount,
            expenses=row.expenses,
            expense_amount=row.expense_amount,
            generated_at=row.generated_at,
        )

    @strawberry.field
    async def user(self, info: Info) -> UserType | None:
        user = await info.context.loaders.user.load(self.user_id)
        return UserType.from_model(user) if user else None
