from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import PaymentPlan, PaymentRecord, Refund
from gql_crm.schema.common import Error, register_error
from gql_crm.schema.kit import ModelInput, ModelType
from gql_crm.schema.links import order_link
from gql_crm.schema.user import UserType
from gql_crm.services import errors


@strawberry.type(name="PaymentPlan", description="A planned instalment of an order.")
class PaymentPlanType(ModelType, model=PaymentPlan):
    id: int
    order_id: int
    due_on: date
    amount: Decimal
    remarks: str | None
    met: bool  # stored with the plan, kept by the payment service
    order = order_link()


@strawberry.type(name="PaymentRecord", description="Money received for an order.")
class PaymentRecordType(ModelType, model=PaymentRecord):
    id: int
    order_id: int
    plan_id: int | None
    sequence: int = strawberry.field(description="The n-th payment of the order.")
    paid_on: date
    amount: Decimal
    handler_id: int | None
    invoiced: bool
    remarks: str | None
    created_at: datetime

    order = order_link()

    @strawberry.field
    async def handler(self, info: Info) -> UserType | None:
        if self.handler_id is None:
            return None
        user = await info.context.loaders.user.load(self.handler_id)
        return UserType.from_model(user) if user else None


@strawberry.type(name="Refund", description="Money paid back on an order.")
class RefundType(ModelType, model=Refund):
    id: int
    order_id: int
    amount: Decimal
    refunded_at: datetime
    reason: str
    created_by_id: int | None


@strawberry.input
class PaymentInput(ModelInput, model=PaymentRecord):
    amount: Decimal = strawberry.field(description="More than zero; at most what is outstanding.")
    paid_on: date
    plan_id: int | None = None
    invoiced: bool = False
    handler_id: int | None = strawberry.field(default=None, description="Defaults to you.")
    remarks: str | None = None


@strawberry.input(description="Narrows the payments list; every field given must match.")
class PaymentFilterInput:
    order_id: int | None = None
    customer_id: int | None = None
    handler_id: int | None = None
    paid_from: date | None = strawberry.field(default=None, description="Paid on or after.")
    paid_to: date | None = strawberry.field(default=None, description="Paid on or before.")


@strawberry.type
class PaymentPlanSuccess:
    plan: PaymentPlanType


@strawberry.type
class PaymentSuccess:
    payment: PaymentRecordType


@strawberry.type
class RefundSuccess:
    refund: RefundType


@strawberry.type(
    description="Beyond what the record allows: paying more than the order amount, refunding "
    "more than was paid, delivering more than was ordered... `limit` is what is still allowed."
)
class AmountExceededError(Error):
    limit: Decimal = strawberry.field(description="The most the amount may be.")


register_error(
    errors.AmountExceeded,
    lambda e: AmountExceededError(code=e.code, message=e.message, field=e.field, limit=e.limit),
)
