from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from gql_crm.db.models import DailyReport
from gql_crm.schema.kit import ModelType, related
from gql_crm.schema.user import UserType
from gql_crm.services.report import NO_METHOD


@strawberry.type(description="Follow-ups of one method (null: none given) in a daily report.")
class FollowUpMethodCount:
    method_id: int | None
    count: int = strawberry.field(description="How many follow-ups were made that way.")


@strawberry.type(
    name="DailyReport",
    description="One user's CRM activity on one company day, written every night. "
    "Counts what was recorded that day (tasksCompleted: to-dos marked done that day).",
)
class DailyReportType(ModelType, model=DailyReport):
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
        # The row keeps follow-ups per method as {method id or NO_METHOD: count}; the type
        # lists them, the "none given" entry first.
        report = super().from_model(row)
        counts = row.follow_ups_by_method or {}
        methods = sorted(
            ((None if key == NO_METHOD else int(key), int(n)) for key, n in counts.items()),
            key=lambda method: (method[0] is not None, method[0] or 0),
        )
        report.follow_ups_by_method = [
            FollowUpMethodCount(method_id=m, count=n) for m, n in methods
        ]
        return report

    user = related(UserType, "user_id", "user")
