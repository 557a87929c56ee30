from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

import strawberry

from gql_crm.context import Info
from gql_crm.resolvers.common import paginate, read
from gql_crm.resolvers.kit import STANDARD_FAILURES, connection, mutation
from gql_crm.schema.common import (
    ConflictError,
    Connection,
    DeleteSuccess,
    NotFoundError,
    requires,
)
from gql_crm.schema.kit import values_of
from gql_crm.schema.order import (
    DeliveryPlanSuccess,
    DeliverySuccess,
    InvoiceSuccess,
    OrderFilterInput,
    OrderInput,
    OrderSuccess,
    OrderType,
)
from gql_crm.schema.payment import AmountExceededError
from gql_crm.services import order as service
from gql_crm.services.order import ORDER_CREATE, ORDER_DELETE, ORDER_EDIT, ORDER_VIEW

# Money and quantities on an order may run past what the order allows.
BOUNDED = (*STANDARD_FAILURES, AmountExceededError)
DELETED: dict[str, Any] = {"failures": (NotFoundError, ConflictError), "union": "DeleteOrderResult"}


@strawberry.type
class OrderQuery:
    @strawberry.field(extensions=[requires(ORDER_VIEW)])
    async def order(self, info: Info, id: int) -> OrderType | None:
        principal = info.context.require_principal()
        row = await read(info, partial(service.find_order, principal=principal, id=id))
        return OrderType.from_model(row) if row else None

    @strawberry.field(
        extensions=[requires(ORDER_VIEW)],
        description="Orders you may see, newest first; filter by status (on the company's "
        "today) and expiry window; `refundedOnly` gives the refunded list.",
    )
    async def orders(
        self,
        info: Info,
        filter: OrderFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[OrderType]:
        today = None
        if filter is not None and filter.status is not None:  # status is read on today
            settings = await info.context.loaders.settings()
            today = service.company_today(settings, info.context.services.clock.now())
        principal = info.context.require_principal()
        stmt = service.order_query(principal, values_of(filter) if filter else None, today)
        return await paginate(
            info, stmt, service.NEWEST_FIRST, first=first, after=after, to_node=OrderType.from_model
        )

    order_recycle_bin = connection(
        service.recycle_bin_query, OrderType, service.BIN_ORDER,
        description="Orders you deleted: restore or purge them.",
    )  # fmt: skip


@strawberry.type
class OrderMutation:
    create_order = mutation(
        service.create_order, OrderSuccess, needs=ORDER_CREATE, customer_id=int, input=OrderInput,
        description="Sign an order for a customer you may sell to; the customer's first order "
        "makes it closed-won (it leaves the pool clocks).",
    )  # fmt: skip
    update_order = mutation(
        service.update_order, OrderSuccess, needs=ORDER_EDIT, id=int, input=OrderInput,
        description="Paid or expired orders need order:edit_closed.",
    )  # fmt: skip
    delete_order = mutation(
        service.delete_order, OrderSuccess, needs=ORDER_DELETE, id=int,
        description="Move to your recycle bin (with everything on the order).",
    )  # fmt: skip
    restore_order = mutation(service.restore_order, OrderSuccess, needs=ORDER_DELETE, id=int)
    purge_order = mutation(
        service.purge_order, DeleteSuccess, needs=ORDER_DELETE, id=int, **DELETED,
        description="Delete for good an order from your recycle bin.",
    )  # fmt: skip
    add_invoice = mutation(
        service.add_invoice, InvoiceSuccess, needs=ORDER_EDIT, failures=BOUNDED,
        order_id=int, number=str, amount=Decimal, issued_on=date, remarks=str | None,
        description="The invoiced total stays within the order's net amount.",
    )  # fmt: skip
    delete_invoice = mutation(
        service.delete_invoice, DeleteSuccess, needs=ORDER_EDIT, id=int, **DELETED
    )
    add_delivery_plan = mutation(
        service.add_delivery_plan, DeliveryPlanSuccess, needs=ORDER_EDIT, failures=BOUNDED,
        order_line_id=int, due_on=date, quantity=Decimal, remarks=str | None,
        description="Plan a delivery of part of a line; planned total <= the line quantity.",
    )  # fmt: skip
    record_delivery = mutation(
        service.record_delivery, DeliverySuccess, needs=ORDER_EDIT, failures=BOUNDED,
        order_line_id=int, delivered_on=date, quantity=Decimal, plan_id=int | None,
        remarks=str | None,
        description="Record goods delivered; refused beyond the ordered quantity.",
    )  # fmt: skip
