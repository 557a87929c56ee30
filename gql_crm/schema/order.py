from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import DeliveryPlan, DeliveryRecord, Invoice, Order, OrderLine
from gql_crm.schema.attachment import AttachmentType
from gql_crm.schema.kit import ModelInput, ModelType, owner_field
from gql_crm.schema.links import customer_link, opportunity_link, order_link
from gql_crm.schema.payment import PaymentPlanType, PaymentRecordType, RefundType
from gql_crm.schema.product import ProductType
from gql_crm.schema.user import UserType
from gql_crm.services.order import OrderStatus, company_today, days_left, order_status

OrderStatusEnum = strawberry.enum(
    OrderStatus,
    name="OrderStatus",
    description="PAID when payments cover the amount; otherwise EXPIRED after the expiry "
    "date; otherwise PARTLY_PAID or UNPAID.",
)


@strawberry.type(
    name="DeliveryPlan", description="A quantity of an order line due to be delivered on a day."
)
class DeliveryPlanType(ModelType, model=DeliveryPlan):
    id: int
    order_line_id: int
    due_on: date
    quantity: Decimal
    remarks: str | None


@strawberry.type(name="DeliveryRecord", description="A delivery of an order line's goods.")
class DeliveryRecordType(ModelType, model=DeliveryRecord):
    id: int
    order_line_id: int
    plan_id: int | None
    delivered_on: date
    quantity: Decimal
    remarks: str | None
    handler_id: int | None


@strawberry.type(
    name="OrderLine",
    description="amount = quantity x unitPrice x (1 - discount), rounded half up to the cent.",
)
class OrderLineType(ModelType, model=OrderLine):
    id: int
    order_id: int
    product_id: int
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal = strawberry.field(description="A fraction: 0.1 is 10 % off.")
    amount: Decimal

    @strawberry.field
    async def product(self, info: Info) -> ProductType | None:
        product = await info.context.loaders.product.load(self.product_id)
        return ProductType.from_model(product) if product else None

    @strawberry.field(description="When which quantities are due to be delivered.")
    async def delivery_plans(self, info: Info) -> list[DeliveryPlanType]:
        rows = await info.context.loaders.line_delivery_plans.load(self.id)
        return [DeliveryPlanType.from_model(r) for r in rows]

    @strawberry.field(description="What was delivered, and when.")
    async def deliveries(self, info: Info) -> list[DeliveryRecordType]:
        rows = await info.context.loaders.line_deliveries.load(self.id)
        return [DeliveryRecordType.from_model(r) for r in rows]

    @strawberry.field(description="Quantity delivered so far (never more than ordered).")
    async def delivered_quantity(self, info: Info) -> Decimal:
        rows = await info.context.loaders.line_deliveries.load(self.id)
        return sum((r.quantity for r in rows), Decimal("0.00"))


@strawberry.type(name="Invoice", description="An invoice issued for an order.")
class InvoiceType(ModelType, model=Invoice):
    id: int
    order_id: int
    number: str
    amount: Decimal
    issued_on: date
    remarks: str | None

    order = order_link()


@strawberry.type(
    name="Order",
    description="An order / contract. Its amount is the sum of its line amounts unless "
    "it was set explicitly (`amountIsExplicit`). Money fields add up exactly: outstanding = "
    "amount - received; netAmount = amount - refunded; netReceived = received - refunded.",
)
class OrderType(ModelType, model=Order):
    id: int
    customer_id: int
    opportunity_id: int | None
    title: str
    amount: Decimal
    amount_is_explicit: bool
    signed_on: date | None
    starts_on: date | None
    expires_on: date | None
    remarks: str | None
    owner_id: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    customer = customer_link()
    opportunity = opportunity_link()

    async def _today(self, info: Info) -> date:
        settings = await info.context.loaders.settings()
        return company_today(settings, info.context.services.clock.now())

    @strawberry.field
    async def owner(self, info: Info) -> UserType | None:
        user = await info.context.loaders.user.load(self.owner_id)
        return UserType.from_model(user) if user else None

    @strawberry.field(description="The name of the order's customer.")
    async def customer_name(self, info: Info) -> str | None:
        customer = await info.context.loaders.customer.load(self.customer_id)
        return customer.name if customer else None

    @strawberry.field(description="Total of the payments received.")
    async def received(self, info: Info) -> Decimal:
        return (await info.context.loaders.order_money.load(self.id)).received

    @strawberry.field(description="Total paid back.")
    async def refunded(self, info: Info) -> Decimal:
        return (await info.context.loaders.order_money.load(self.id)).refunded

    @strawberry.field(description="Total of the invoices issued.")
    async def invoiced(self, info: Info) -> Decimal:
        return (await info.context.loaders.order_money.load(self.id)).invoiced

    @strawberry.field(description="The deal after refunds: amount - refunded.")
    async def net_amount(self, info: Info) -> Decimal:
        return (await info.context.loaders.order_money.load(self.id)).net_amount

    @strawberry.field(description="What we kept: received - refunded.")
    async def net_received(self, info: Info) -> Decimal:
        return (await info.context.loaders.order_money.load(self.id)).net_received

    @strawberry.field(description="Still to be received: amount - received.")
    async def outstanding(self, info: Info) -> Decimal:
        return (await info.context.loaders.order_money.load(self.id)).outstanding

    @strawberry.field(
        description="Whether it is paid, partly paid, unpaid or expired, as of today."
    )
    async def status(self, info: Info) -> OrderStatusEnum:  # type: ignore[valid-type]
        money = await info.context.loaders.order_money.load(self.id)
        return order_status(money, self.expires_on, await self._today(info))

    @strawberry.field(description="Days until the expiry date (negative: past it; null: none).")
    async def days_left(self, info: Info) -> int | None:
        return days_left(self.expires_on, await self._today(info))

    @strawberry.field(description="The products ordered, in order.")
    async def lines(self, info: Info) -> list[OrderLineType]:
        rows = await info.context.loaders.order_lines.load(self.id)
        return [OrderLineType.from_model(r) for r in rows]

    @strawberry.field(description="By due date.")
    async def payment_plans(self, info: Info) -> list[PaymentPlanType]:
        plans = await info.context.loaders.order_payment_plans.load(self.id)
        return [PaymentPlanType.from_model(p) for p in plans]

    @strawberry.field(description="In the order they were recorded.")
    async def payments(self, info: Info) -> list[PaymentRecordType]:
        rows = await info.context.loaders.order_payments.load(self.id)
        return [PaymentRecordType.from_model(r) for r in rows]

    @strawberry.field(description="Money paid back on it, newest first.")
    async def refunds(self, info: Info) -> list[RefundType]:
        rows = await info.context.loaders.order_refunds.load(self.id)
        return [RefundType.from_model(r) for r in rows]

    @strawberry.field(description="Invoices issued for it.")
    async def invoices(self, info: Info) -> list[InvoiceType]:
        rows = await info.context.loaders.order_invoices.load(self.id)
        return [InvoiceType.from_model(r) for r in rows]

    @strawberry.field(description="Files on the order (the contract text), newest first.")
    async def attachments(self, info: Info) -> list[AttachmentType]:
        rows = await info.context.loaders.order_attachments.load(self.id)
        return [AttachmentType.from_model(r) for r in rows]


@strawberry.input
class OrderLineInput(ModelInput, model=OrderLine):
    product_id: int
    quantity: Decimal = strawberry.field(description="More than zero, two decimal places.")
    unit_price: Decimal | None = strawberry.field(
        default=None, description="Defaults to the product's price."
    )
    discount: Decimal = strawberry.field(
        default=Decimal("0"), description="A fraction from 0 to 1: 0.1 is 10 % off."
    )


@strawberry.input
class OrderInput(ModelInput, model=Order):
    title: str
    lines: list[OrderLineInput] | None = strawberry.field(
        default=None,
        description="On create: the lines (none needs an explicit amount). On update: null "
        "keeps the lines; a list replaces them (refused once goods were delivered).",
    )
    amount: Decimal | None = strawberry.field(
        default=None,
        description="Set it to fix the amount by hand; null: the sum of the line amounts.",
    )
    signed_on: date | None = None
    starts_on: date | None = None
    expires_on: date | None = None
    opportunity_id: int | None = None
    owner_id: int | None = owner_field()
    remarks: str | None = None


@strawberry.input
class OrderFilterInput:
    customer_id: int | None = None
    owner_id: int | None = None
    refunded_only: bool = strawberry.field(default=False, description="The refunded orders list.")
    search: str | None = strawberry.field(
        default=None, description="Order title, customer name or refund reason contains."
    )
    status: OrderStatusEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Orders with this status today (refunded: `refundedOnly`)."
    )
    expires_from: date | None = strawberry.field(
        default=None, description="Expiring on or after this day."
    )
    expires_to: date | None = strawberry.field(
        default=None, description="Expiring on or before this day (overdue ones included)."
    )


@strawberry.type
class OrderSuccess:
    order: OrderType


@strawberry.type
class InvoiceSuccess:
    invoice: InvoiceType


@strawberry.type
class DeliveryPlanSuccess:
    plan: DeliveryPlanType


@strawberry.type
class DeliverySuccess:
    delivery: DeliveryRecordType
