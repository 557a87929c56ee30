from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from gql_crm.resolvers.kit import STANDARD_FAILURES, connection, mutation
from gql_crm.schema.common import ConflictError, DeleteSuccess, NotFoundError
from gql_crm.schema.payment import (
    AmountExceededError,
    PaymentFilterInput,
    PaymentInput,
    PaymentPlanSuccess,
    PaymentRecordType,
    PaymentSuccess,
    RefundSuccess,
)
from gql_crm.services import payment as service
from gql_crm.services.order import ORDER_EDIT
from gql_crm.services.payment import (
    PAYMENT_CREATE,
    PAYMENT_DELETE,
    PAYMENT_EDIT,
    PAYMENT_VIEW,
    REFUND_CREATE,
)

# Money on an order may run past what the order allows.
BOUNDED = (*STANDARD_FAILURES, AmountExceededError)
DELETED = (NotFoundError, ConflictError)


@strawberry.type
class PaymentQuery:
    payments = connection(
        service.payment_query, PaymentRecordType, service.NEWEST_FIRST, needs=PAYMENT_VIEW,
        description="Payments on the orders you may see, latest paid first.",
        filter=PaymentFilterInput | None,
    )  # fmt: skip


@strawberry.type
class PaymentMutation:
    add_payment_plan = mutation(
        service.add_payment_plan, PaymentPlanSuccess, needs=ORDER_EDIT, failures=BOUNDED,
        order_id=int, due_on=date, amount=Decimal, remarks=str | None,
        description="Plan an instalment; the planned total stays within the order amount.",
    )  # fmt: skip
    delete_payment_plan = mutation(
        service.delete_payment_plan, DeleteSuccess, needs=ORDER_EDIT, id=int,
        failures=DELETED, union="DeletePaymentResult",
        description="Deletes a payment plan for good.",
    )  # fmt: skip
    record_payment = mutation(
        service.record_payment, PaymentSuccess, needs=PAYMENT_CREATE, failures=BOUNDED,
        order_id=int, input=PaymentInput,
        description="Record money received. Paying beyond the order amount is refused "
        "(AmountExceededError); others' orders need payment:record_any.",
    )  # fmt: skip
    update_payment = mutation(
        service.update_payment, PaymentSuccess, needs=PAYMENT_EDIT, failures=BOUNDED,
        id=int, input=PaymentInput,
        description="Correct a payment (the order's status and the customer's totals follow); "
        "the order's payments stay within its amount and above its refunds. Others' orders "
        "need payment:record_any; handlerId left out keeps the handler.",
    )  # fmt: skip
    delete_payment = mutation(
        service.delete_payment, DeleteSuccess, needs=PAYMENT_DELETE, id=int,
        failures=DELETED, union="DeletePaymentResult",
        description="Refused while refunds on the order depend on it.",
    )  # fmt: skip
    record_refund = mutation(
        service.record_refund, RefundSuccess, needs=REFUND_CREATE, failures=BOUNDED,
        order_id=int, amount=Decimal, reason=str, refunded_at=datetime | None,
        description="Pay money back; never more than was received (net of earlier refunds).",
    )  # fmt: skip
