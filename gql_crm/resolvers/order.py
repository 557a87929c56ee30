from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import Order
from gql_crm.db.pagination import SortKey
from gql_crm.resolvers.common import mutate, paginate
from gql_crm.schema.common import (
    ConflictError,
    Connection,
    DeleteSuccess,
    InvalidInputError,
    NotFoundError,
    deleted,
    requires,
)
from gql_crm.schema.order import (
    DeliveryPlanSuccess,
    DeliveryPlanType,
    DeliveryRecordType,
    DeliverySuccess,
    InvoiceSuccess,
    InvoiceType,
    OrderFilterInput,
    OrderInput,
    OrderSuccess,
    OrderType,
)
from gql_crm.schema.payment import AmountExceededError
from gql_crm.services import order as service

OrderResult = Annotated[
    OrderSuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("OrderResult"),
]
DeleteOrderResult = Annotated[
    DeleteSuccess | NotFoundError | ConflictError, strawberry.union("DeleteOrderResult")
]
InvoiceResult = Annotated[
    InvoiceSuccess | InvalidInputError | NotFoundError | ConflictError | AmountExceededError,
    strawberry.union("InvoiceResult"),
]
DeliveryPlanResult = Annotated[
    DeliveryPlanSuccess | InvalidInputError | NotFoundError | ConflictError | AmountExceededError,
    strawberry.union("DeliveryPlanResult"),
]
DeliveryResult = Annotated[
    DeliverySuccess | InvalidInputError | NotFoundError | ConflictError | AmountExceededError,
    strawberry.union("DeliveryResult"),
]


def _fields(data: OrderInput, *, creating: bool) -> service.OrderFields:
    lines = None
    if data.lines is not None or creating:
        lines = tuple(
            service.LineFields(
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
            )
            for line in data.lines or ()
        )
    return service.OrderFields(
        title=data.title,
        lines=lines,
        amount=data.amount,
        signed_on=data.signed_on,
        starts_on=data.starts_on,
        expires_on=data.expires_on,
        opportunity_id=data.opportunity_id,
        owner_id=data.owner_id,
        remarks=data.remarks,
    )


def _success(order: Order) -> OrderSuccess:
    return OrderSuccess(order=OrderType.from_model(order))


_NEWEST = [SortKey(Order.created_at, True), SortKey(Order.id, True)]


@strawberry.type
class OrderQuery:
    @strawberry.field(extensions=[requires(service.ORDER_VIEW)])
    async def order(self, info: Info, id: int) -> OrderType | None:
        stmt = service.order_query(info.context.require_principal(), service.OrderFilter())
        async with info.context.services.database.reader() as session:
            row = await session.scalar(stmt.where(Order.id == id))
        return OrderType.from_model(row) if row else None

    @strawberry.field(
        extensions=[requires(service.ORDER_VIEW)],
        description="Orders you may see, newest first; `refundedOnly` gives the refunded list.",
    )
    async def orders(
        self,
        info: Info,
        filter: OrderFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[OrderType]:
        f = filter or OrderFilterInput()
        stmt = service.order_query(
            info.context.require_principal(),
            service.OrderFilter(
                customer_id=f.customer_id,
                owner_id=f.owner_id,
                refunded_only=f.refunded_only,
                search=f.search,
            ),
        )
        return await paginate(
            info, stmt, _NEWEST, first=first, after=after, to_node=OrderType.from_model
        )

    @strawberry.field(description="Orders you deleted: restore or purge them.")
    async def order_recycle_bin(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[OrderType]:
        stmt = service.recycle_bin_query(info.context.require_principal())
        keys = [SortKey(Order.deleted_at, True), SortKey(Order.id, True)]
        return await paginate(
            info, stmt, keys, first=first, after=after, to_node=OrderType.from_model
        )


@strawberry.type
class OrderMutation:
    @strawberry.mutation(
        extensions=[requires(service.ORDER_CREATE)],
        description="Sign an order for a customer you may sell to; the customer's first order "
        "makes it closed-won (it leaves the pool clocks).",
    )
    async def create_order(self, info: Info, customer_id: int, input: OrderInput) -> OrderResult:
        fields = _fields(input, creating=True)
        return await mutate(
            info, lambda uow: service.create_order(uow, customer_id, fields), _success
        )

    @strawberry.mutation(
        extensions=[requires(service.ORDER_EDIT)],
        description="Paid or expired orders need order:edit_closed.",
    )
    async def update_order(self, info: Info, id: int, input: OrderInput) -> OrderResult:
        fields = _fields(input, creating=False)
        return await mutate(info, lambda uow: service.update_order(uow, id, fields), _success)

    @strawberry.mutation(
        extensions=[requires(service.ORDER_DELETE)],
        description="Move to your recycle bin (with everything on the order).",
    )
    async def delete_order(self, info: Info, id: int) -> OrderResult:
        return await mutate(info, lambda uow: service.delete_order(uow, id), _success)

    @strawberry.mutation(extensions=[requires(service.ORDER_DELETE)])
    async def restore_order(self, info: Info, id: int) -> OrderResult:
        return await mutate(info, lambda uow: service.restore_order(uow, id), _success)

    @strawberry.mutation(
        extensions=[requires(service.ORDER_DELETE)],
        description="Delete for good an order from your recycle bin.",
    )
    async def purge_order(self, info: Info, id: int) -> DeleteOrderResult:
        return await mutate(info, lambda uow: service.purge_order(uow, id), deleted)

    @strawberry.mutation(
        extensions=[requires(service.ORDER_EDIT)],
        description="The invoiced total stays within the order's net amount.",
    )
    async def add_invoice(
        self,
        info: Info,
        order_id: int,
        number: str,
        amount: Decimal,
        issued_on: date,
        remarks: str | None = None,
    ) -> InvoiceResult:
        fields = service.InvoiceFields(
            number=number, amount=amount, issued_on=issued_on, remarks=remarks
        )
        return await mutate(
            info,
            lambda uow: service.add_invoice(uow, order_id, fields),
            lambda i: InvoiceSuccess(invoice=InvoiceType.from_model(i)),
        )

    @strawberry.mutation(extensions=[requires(service.ORDER_EDIT)])
    async def delete_invoice(self, info: Info, id: int) -> DeleteOrderResult:
        return await mutate(info, lambda uow: service.delete_invoice(uow, id), deleted)

    @strawberry.mutation(
        extensions=[requires(service.ORDER_EDIT)],
        description="Plan a delivery of part of a line; planned total <= the line quantity.",
    )
    async def add_delivery_plan(
        self,
        info: Info,
        order_line_id: int,
        due_on: date,
        quantity: Decimal,
        remarks: str | None = None,
    ) -> DeliveryPlanResult:
        return await mutate(
            info,
            lambda uow: service.add_delivery_plan(uow, order_line_id, due_on, quantity, remarks),
            lambda p: DeliveryPlanSuccess(plan=DeliveryPlanType.from_model(p)),
        )

    @strawberry.mutation(
        extensions=[requires(service.ORDER_EDIT)],
        description="Record goods delivered; refused beyond the ordered quantity.",
    )
    async def record_delivery(
        self,
        info: Info,
        order_line_id: int,
        delivered_on: date,
        quantity: Decimal,
        plan_id: int | None = None,
        remarks: str | None = None,
    ) -> DeliveryResult:
        return await mutate(
            info,
            lambda uow: service.record_delivery(
                uow, order_line_id, delivered_on, quantity, plan_id, remarks
            ),
            lambda r: DeliverySuccess(delivery=DeliveryRecordType.from_model(r)),
        )
