from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from gql_crm.context import Info
from gql_crm.resolvers.common import mutate
from gql_crm.schema.common import (
    ConflictError,
    DeleteSuccess,
    InvalidInputError,
    NotFoundError,
    deleted,
    requires,
)
from gql_crm.schema.payment import (
    AmountExceededError,
    PaymentInput,
    PaymentPlanSuccess,
    PaymentPlanType,
    PaymentRecordType,
    PaymentSuccess,
    RefundSuccess,
    RefundType,
)
from gql_crm.services import payment as service
from gql_crm.services.order import ORDER_EDIT

PaymentPlanResult = Annotated[
    PaymentPlanSuccess | InvalidInputError | NotFoundError | ConflictError | AmountExceededError,
    strawberry.union("PaymentPlanResult"),
]
PaymentResult = Annotated[
    PaymentSuccess | InvalidInputError | NotFoundError | ConflictError | AmountExceededError,
    strawberry.union("PaymentResult"),
]
RefundResult = Annotated[
    RefundSuccess | InvalidInputError | NotFoundError | ConflictError | AmountExceededError,
    strawberry.union("RefundResult"),
]
DeletePaymentResult = Annotated[
    DeleteSuccess | NotFoundError | ConflictError, strawberry.union("DeletePaymentResult")
]


@strawberry.type
class PaymentMutation:
    @strawberry.mutation(
        extensions=[requires(ORDER_EDIT)],
        description="Plan an instalment; the planned total stays within the order amount.",
    )
    async def add_payment_plan(
        self, info: Info, order_id: int, due_on: date, amount: Decimal, remarks: str | None = None
    ) -> PaymentPlanResult:
        return await mutate(
            info,
            lambda uow: service.add_payment_plan(uow, order_id, due_on, amount, remarks),
            lambda p: PaymentPlanSuccess(plan=PaymentPlanType.from_model(p, met=False)),
        )

    @strawberry.mutation(extensions=[requires(ORDER_EDIT)])
    async def delete_payment_plan(self, info: Info, id: int) -> DeletePaymentResult:
        return await mutate(info, lambda uow: service.delete_payment_plan(uow, id), deleted)

    @strawberry.mutation(
        extensions=[requires(service.PAYMENT_CREATE)],
        description="Record money received. Paying beyond the order amount is refused "
        "(AmountExceededError); others' orders need payment:record_any.",
    )
    async def record_payment(self, info: Info, order_id: int, input: PaymentInput) -> PaymentResult:
        fields = service.PaymentFields(
            amount=input.amount,
            paid_on=input.paid_on,
            plan_id=input.plan_id,
            invoiced=input.invoiced,
            handler_id=input.handler_id,
            remarks=input.remarks,
        )
        return await mutate(
            info,
            lambda uow: service.record_payment(uow, order_id, fields),
            lambda r: PaymentSuccess(payment=PaymentRecordType.from_model(r)),
        )

    @strawberry.mutation(
        extensions=[requires(service.PAYMENT_DELETE)],
        description="Refused while refunds on the order depend on it.",
    )
    async def delete_payment(self, info: Info, id: int) -> DeletePaymentResult:
        return await mutate(info, lambda uow: service.delete_payment(uow, id), deleted)

    @strawberry.mutation(
        extensions=[requires(service.REFUND_CREATE)],
        description="Pay money back; never more than was received (net of earlier refunds).",
    )
    async def record_refund(
        self,
        info: Info,
        order_id: int,
        amount: Decimal,
        reason: str,
        refunded_at: datetime | None = None,
    ) -> RefundResult:
        return await mutate(
            info,
            lambda uow: service.record_refund(uow, order_id, amount, reason, refunded_at),
            lambda r: RefundSuccess(refund=RefundType.from_model(r)),
        )
