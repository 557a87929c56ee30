"""Orders and contracts (F5.2, F2.10, F2.12): lines, amount, derived status, closed-won
customers, the recycle bin, invoices (F5.5) and deliveries per line (F5.6)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.permissions import Advanced, Module, record_codes
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.base import ZERO
from gql_crm.db.models import (
    AttachmentRecordType,
    Customer,
    DeliveryPlan,
    DeliveryRecord,
    Invoice,
    Opportunity,
    Order,
    OrderLine,
    PaymentPlan,
    PaymentRecord,
    Product,
    Refund,
    SystemSettings,
)
from gql_crm.db.pagination import SortKey
from gql_crm.services import files, recycle_bin, statistics_rollup, webhook
from gql_crm.services.customer import customer_for_sales
from gql_crm.services.errors import AmountExceeded, Conflict, NotFound, Problems
from gql_crm.services.money import cents, money_problem, quantity_problem
from gql_crm.services.setting import get_settings
from gql_crm.services.unit_of_work import UnitOfWork, diff
from gql_crm.services.user import assignee_problem
from gql_crm.services.validation import text_problem

ORDER_VIEW, ORDER_CREATE, ORDER_EDIT, ORDER_DELETE = record_codes(Module.ORDER)
ENTITY = "order"
NEWEST_FIRST = (SortKey(Order.created_at, True), SortKey(Order.id, True))
BIN_ORDER = recycle_bin.latest_first(Order)


# ---- money and status: computed here and nowhere else --------------------------------------


class OrderStatus(enum.StrEnum):
    UNPAID = "unpaid"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class OrderMoney:
    """An order's amounts. Payments never exceed the amount and refunds never exceed the
    payments, so every derived figure is between zero and the amount."""

    amount: Decimal
    received: Decimal
    refunded: Decimal
    invoiced: Decimal

    @property
    def net_received(self) -> Decimal:
        return self.received - self.refunded

    @property
    def net_amount(self) -> Decimal:
        """The deal after refunds: what the customer ends up paying."""
        return self.amount - self.refunded

    @property
    def outstanding(self) -> Decimal:
        """Still to be received: amount - received (= net amount - net received)."""
        return self.amount - self.received


def order_status(money: OrderMoney, expires_on: date | None, today: date) -> OrderStatus:
    """Paid when payments cover the amount; otherwise expired after the expiry date;
    otherwise partly paid or unpaid."""
    if money.received >= money.amount:
        return OrderStatus.PAID
    if expires_on is not None and expires_on < today:
        return OrderStatus.EXPIRED
    return OrderStatus.PARTLY_PAID if money.received > 0 else OrderStatus.UNPAID


def status_clause(status: OrderStatus, today: date) -> ColumnElement[bool]:
    """``order_status`` in SQL: orders whose status on ``today`` is ``status`` (held equal to
    it by the orders' tests)."""
    received = sum_for_order(PaymentRecord)
    paid: ColumnElement[bool] = received >= Order.amount
    expired = and_(Order.expires_on.is_not(None), Order.expires_on < today)
    match status:
        case OrderStatus.PAID:
            return paid
        case OrderStatus.EXPIRED:
            return and_(not_(paid), expired)
        case OrderStatus.PARTLY_PAID:
            return and_(not_(paid), not_(expired), received > 0)
        case OrderStatus.UNPAID:
            return and_(not_(paid), not_(expired), received <= 0)


def company_today(settings: SystemSettings, now: datetime) -> date:
    """What day it is for the company (its time zone decides)."""
    return now.astimezone(ZoneInfo(settings.timezone)).date()


def days_left(expires_on: date | None, today: date) -> int | None:
    return None if expires_on is None else (expires_on - today).days


async def total(uow: UnitOfWork, column: Any, *where: Any) -> Decimal:
    """The sum of ``column`` over the rows ``where`` selects; zero when there are none."""
    found = await uow.session.scalar(select(func.coalesce(func.sum(column), ZERO)).where(*where))
    return Decimal(found or 0)


def sum_for_order(model: Any, order_id: Any = Order.id) -> Any:
    """The amounts of ``model`` (payments, refunds...) of the order ``order_id`` names (by
    default the order of the statement it sits in)."""
    stmt = select(func.coalesce(func.sum(model.amount), ZERO)).where(model.order_id == order_id)
    return (stmt.correlate(Order) if order_id is Order.id else stmt).scalar_subquery()


def order_money_statement(where: ColumnElement[bool]) -> Select[Any]:
    """Per order: id, customer, amount, received, refunded, invoiced — one statement."""
    return select(
        Order.id.label("order_id"),
        Order.customer_id.label("customer_id"),
        Order.amount.label("amount"),
        sum_for_order(PaymentRecord).label("received"),
        sum_for_order(Refund).label("refunded"),
        sum_for_order(Invoice).label("invoiced"),
    ).where(where)


async def order_money(session: AsyncSession, order_ids: Sequence[int]) -> dict[int, OrderMoney]:
    rows = (await session.execute(order_money_statement(Order.id.in_(list(order_ids))))).all()
    return {
        row.order_id: OrderMoney(
            Decimal(row.amount), Decimal(row.received), Decimal(row.refunded), Decimal(row.invoiced)
        )
        for row in rows
    }


# ---- input ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineFields:
    product_id: int
    quantity: Decimal
    unit_price: Decimal | None = None  # defaults to the product's price
    discount: Decimal = ZERO  # a fraction: 0.1 is 10 % off


@dataclass(frozen=True, slots=True)
class OrderFields:
    title: str
    lines: tuple[LineFields, ...] | None = field(default=())  # None on update: keep the lines
    amount: Decimal | None = None  # None: the sum of the line amounts
    signed_on: date | None = None
    starts_on: date | None = None
    expires_on: date | None = None
    opportunity_id: int | None = None
    owner_id: int | None = None
    remarks: str | None = None


def order_fields(input: dict[str, Any], *, creating: bool) -> OrderFields:
    """An order form as the service reads it; on update, lines left out keep the old ones."""
    lines = input.get("lines")
    given = None if lines is None and not creating else lines or ()
    return OrderFields(
        **{
            **input,
            "lines": None if given is None else tuple(LineFields(**asdict(line)) for line in given),
        }
    )


def line_amount(quantity: Decimal, unit_price: Decimal, discount: Decimal) -> Decimal:
    return cents(quantity * unit_price * (1 - discount))


async def _check(
    uow: UnitOfWork, customer_id: int, fields: OrderFields
) -> list[dict[str, Any]] | None:
    """Every problem of the input at once; the line values to write (None: keep lines)."""
    problems = Problems()
    if p := text_problem(fields.title, max_length=200):
        problems.add("title", p)
    if fields.remarks is not None and (
        p := text_problem(fields.remarks, max_length=5000, required=False)
    ):
        problems.add("remarks", p)
    if fields.amount is not None and (p := money_problem(fields.amount)):
        problems.add("amount", p)
    if fields.starts_on and fields.expires_on and fields.expires_on < fields.starts_on:
        problems.add("expiresOn", "must not be before startsOn")
    if p := await assignee_problem(uow, fields.owner_id):
        problems.add("ownerId", p)
    if fields.opportunity_id is not None:
        opportunity = await uow.session.get(Opportunity, fields.opportunity_id)
        if opportunity is None or opportunity.customer_id != customer_id:
            problems.add(
                "opportunityId", f"opportunity {fields.opportunity_id} is not of this customer"
            )
    lines: list[dict[str, Any]] | None = None
    if fields.lines is not None:
        wanted = {line.product_id for line in fields.lines}
        products = {
            p.id: p
            for p in await uow.session.scalars(select(Product).where(Product.id.in_(wanted)))
        }
        lines = []
        for i, line in enumerate(fields.lines):
            where = f"lines[{i}]"
            product = products.get(line.product_id)
            if product is None:
                problems.add(f"{where}.productId", f"product {line.product_id} does not exist")
            elif not product.is_active:
                problems.add(f"{where}.productId", f"product {product.code} is not sold any more")
            if p := quantity_problem(line.quantity):
                problems.add(f"{where}.quantity", p)
            if line.unit_price is not None and (p := money_problem(line.unit_price)):
                problems.add(f"{where}.unitPrice", p)
            if not (line.discount.is_finite() and 0 <= line.discount <= 1) or (
                line.discount != line.discount.quantize(Decimal("0.0001"))
            ):
                problems.add(f"{where}.discount", "must be a fraction from 0 to 1 (0.1 = 10 % off)")
            if product is not None:
                price = line.unit_price if line.unit_price is not None else product.price
                lines.append(
                    {
                        "position": i,
                        "product_id": product.id,
                        "quantity": cents(line.quantity),
                        "unit_price": cents(price),
                        "discount": line.discount.quantize(Decimal("0.0001")),
                    }
                )
        if fields.amount is None and not fields.lines:
            problems.add("lines", "give at least one line, or an explicit amount")
    problems.raise_if_any()
    if lines is not None:
        for values in lines:
            values["amount"] = line_amount(
                values["quantity"], values["unit_price"], values["discount"]
            )
        total = sum((values["amount"] for values in lines), ZERO)
        if fields.amount is None and (p := money_problem(total)):
            problems.add("lines", f"the total {p}")
            problems.raise_if_any()
    return lines


def _order_values(fields: OrderFields) -> dict[str, Any]:
    return {
        "title": fields.title.strip(),
        "signed_on": fields.signed_on,
        "starts_on": fields.starts_on,
        "expires_on": fields.expires_on,
        "opportunity_id": fields.opportunity_id,
        "remarks": (fields.remarks or "").strip() or None,
    }


async def _refresh_closed_won(uow: UnitOfWork, customer: Customer) -> None:
    """A customer with a live order is closed-won (off the pool clocks); one whose last
    order went to the recycle bin goes back on them, with a fresh clock."""
    live = await uow.session.scalar(
        select(exists().where(Order.customer_id == customer.id, Order.deleted_at.is_(None)))
    )
    if live and customer.closed_won_at is None:
        customer.closed_won_at = uow.now
        uow.log("customer", customer.id, "closed_won", {"closedWonAt": [None, uow.now.isoformat()]})
    elif not live and customer.closed_won_at is not None:
        uow.log(
            "customer",
            customer.id,
            "closed_won_undone",
            {"closedWonAt": [customer.closed_won_at.isoformat(), None]},
        )
        customer.closed_won_at = None
        customer.pool_entered_at = uow.now


def _write_lines(uow: UnitOfWork, order: Order, lines: list[dict[str, Any]]) -> None:
    uow.session.add_all(OrderLine(order_id=order.id, **line) for line in lines)


async def create_order(uow: UnitOfWork, customer_id: int, input: dict[str, Any]) -> Order:
    """Sign an order; the customer's first order makes it closed-won (F2.10)."""
    fields = order_fields(input, creating=True)
    customer = await customer_for_sales(uow, customer_id)
    lines = await _check(uow, customer.id, fields) or []
    explicit = fields.amount is not None
    order = Order(
        customer_id=customer.id,
        **_order_values(fields),
        amount=cents(fields.amount)
        if fields.amount is not None
        else sum((line["amount"] for line in lines), ZERO),
        amount_is_explicit=explicit,
        owner_id=fields.owner_id or uow.principal.user_id,
        created_by_id=uow.principal.user_id,
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(order)
    await uow.session.flush()
    _write_lines(uow, order, lines)
    await uow.session.flush()
    statistics_rollup.added(uow, [order.id])
    await _refresh_closed_won(uow, customer)
    uow.log(ENTITY, order.id, "create", {"amount": [None, str(order.amount)]})
    data = {"orderId": order.id, "customerId": customer.id, "amount": str(order.amount)}
    webhook.record(uow, "order.signed", data, order.owner_id)
    return order


async def managed_order(uow: UnitOfWork, order_id: int, field: str = "id") -> Order:
    """A live, visible order the caller may change (its owner is in their scope), locked."""
    order = await visible_order(uow, order_id, field)
    if not uow.principal.can_see_owner(order.owner_id):
        raise Conflict("Only the owner of the order or their managers may change it.", field)
    return order


async def visible_order(uow: UnitOfWork, order_id: int, field: str = "id") -> Order:
    """A live order the caller may see, locked for the rest of the unit of work: payments,
    refunds and deliveries on one order are serialised by this lock."""
    order = await uow.session.scalar(
        select(Order)
        .where(Order.id == order_id, visibility.order(uow.principal))
        .with_for_update(of=Order)
    )
    if order is None:
        raise NotFound("Order", order_id, field)
    return order


async def status_of(uow: UnitOfWork, order: Order) -> tuple[OrderMoney, OrderStatus]:
    money = (await order_money(uow.session, [order.id]))[order.id]
    today = company_today(await get_settings(uow.session), uow.now)
    return money, order_status(money, order.expires_on, today)


async def update_order(uow: UnitOfWork, id: int, input: dict[str, Any]) -> Order:
    """Edit an order. Paid or expired orders need order:edit_closed. Lines given replace the
    old ones (refused once something was delivered); without an explicit amount the amount
    follows the lines."""
    fields = order_fields(input, creating=False)
    order = await managed_order(uow, id)
    money, status = await status_of(uow, order)
    if status in (OrderStatus.PAID, OrderStatus.EXPIRED):
        uow.principal.require(Advanced.EDIT_CLOSED_ORDERS)
    lines = await _check(uow, order.customer_id, fields)
    values = _order_values(fields)
    if fields.owner_id is not None:
        values["owner_id"] = fields.owner_id
    await statistics_rollup.changing(uow, [order.id])
    if lines is not None:
        delivered = await uow.session.scalar(
            select(
                exists().where(
                    DeliveryRecord.order_line_id == OrderLine.id, OrderLine.order_id == order.id
                )
            )
        )
        if delivered:
            raise Conflict(
                "Goods were delivered against these lines; they stay as they are.", "lines"
            )
        await uow.session.execute(delete(OrderLine).where(OrderLine.order_id == order.id))
        _write_lines(uow, order, lines)
        line_total = sum((line["amount"] for line in lines), ZERO)
    else:
        line_total = await total(uow, OrderLine.amount, OrderLine.order_id == order.id)
    if fields.amount is None and lines is None and order.amount_is_explicit:
        # Neither a new amount nor new lines: the explicit amount stays as it is.
        values["amount"], values["amount_is_explicit"] = order.amount, True
    else:
        values["amount"] = cents(
            fields.amount if fields.amount is not None else Decimal(line_total)
        )
        values["amount_is_explicit"] = fields.amount is not None
    if values["amount"] < money.received:
        raise Conflict(
            f"{money.received} was already received; the amount cannot be less.", "amount"
        )
    if values["amount"] - money.refunded < money.invoiced:
        raise Conflict(
            f"{money.invoiced} is already invoiced; the amount cannot be less.", "amount"
        )
    planned = await total(uow, PaymentPlan.amount, PaymentPlan.order_id == order.id)
    if values["amount"] < planned:
        raise Conflict(f"{planned} is planned in instalments; the amount cannot be less.", "amount")
    before = {name: getattr(order, name) for name in values}
    for name, value in values.items():
        setattr(order, name, value)
    order.updated_at = uow.now
    changes = diff(before, values)
    if changes or lines is not None:
        uow.log(ENTITY, order.id, "update", changes)
    return order


async def _lock_customer_first(uow: UnitOfWork, order_id: int) -> None:
    """Lock the order's customer before the order: a write that locks both takes the
    customer first (binning a customer locks it, then its orders), so two cannot deadlock."""
    customer_id = select(Order.customer_id).where(Order.id == order_id).scalar_subquery()
    await uow.session.execute(
        select(Customer.id).where(Customer.id == customer_id).with_for_update()
    )


async def delete_order(uow: UnitOfWork, id: int) -> Order:
    """Move an order (with its lines, payments and everything on it) to the recycle bin."""
    await _lock_customer_first(uow, id)
    order = await managed_order(uow, id)
    await statistics_rollup.changing(uow, [order.id])
    recycle_bin.discard(uow, ENTITY, order)
    await uow.session.flush()
    customer = await uow.session.get(Customer, order.customer_id, with_for_update=True)
    assert customer is not None
    await _refresh_closed_won(uow, customer)
    return order


async def _binned(uow: UnitOfWork, order_id: int) -> Order:
    reach = visibility.binned_order(uow.principal)
    order: Order = await recycle_bin.binned(uow, Order, order_id, reach, "Order")
    return order


async def restore_order(uow: UnitOfWork, id: int) -> Order:
    await _lock_customer_first(uow, id)
    order = await _binned(uow, id)
    customer = await uow.session.get(Customer, order.customer_id, with_for_update=True)
    if customer is None or customer.deleted_at is not None:
        raise Conflict("Restore the customer of this order first.", "id")
    await statistics_rollup.changing(uow, [order.id])
    recycle_bin.restore(uow, ENTITY, order)
    await uow.session.flush()
    await _refresh_closed_won(uow, customer)
    return order


async def purge_order(uow: UnitOfWork, id: int) -> int:
    order = await _binned(uow, id)
    await files.purge_attachments(uow, AttachmentRecordType.ORDER, [id])
    return await recycle_bin.purge(uow, ENTITY, order, {"title": [order.title, None]})


# ---- lists ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderFilter:
    customer_id: int | None = None
    owner_id: int | None = None
    refunded_only: bool = False
    search: str | None = None
    status: OrderStatus | None = None
    expires_from: date | None = None
    expires_to: date | None = None


def order_query(
    principal: Principal, filter: dict[str, Any] | None = None, today: date | None = None
) -> Select[Order]:
    """Orders the caller may see matching every filter given; a status filter needs the
    company's ``today``."""
    filters = OrderFilter(**(filter or {}))
    stmt = select(Order).where(visibility.order(principal, narrowed=True))
    if filters.status is not None:
        assert today is not None, "a status filter needs today"
        stmt = stmt.where(status_clause(filters.status, today))
    if filters.expires_from is not None:
        stmt = stmt.where(Order.expires_on >= filters.expires_from)
    if filters.expires_to is not None:
        stmt = stmt.where(Order.expires_on <= filters.expires_to)
    if filters.customer_id is not None:
        stmt = stmt.where(Order.customer_id == filters.customer_id)
    if filters.owner_id is not None:
        stmt = stmt.where(Order.owner_id == filters.owner_id)
    if filters.refunded_only:
        stmt = stmt.where(exists().where(Refund.order_id == Order.id))
    if filters.search and filters.search.strip():
        term = filters.search.strip()
        stmt = stmt.where(
            or_(
                Order.title.icontains(term, autoescape=True),
                exists().where(
                    Customer.id == Order.customer_id, Customer.name.icontains(term, autoescape=True)
                ),
                exists().where(
                    Refund.order_id == Order.id, Refund.reason.icontains(term, autoescape=True)
                ),
            )
        )
    return stmt


def recycle_bin_query(principal: Principal) -> Select[Order]:
    return select(Order).where(visibility.binned_order(principal))


async def find_order(session: AsyncSession, principal: Principal, id: int) -> Order | None:
    """The order ``id`` if the caller may see it."""
    return await session.scalar(order_query(principal).where(Order.id == id))


# ---- invoices and deliveries ---------------------------------------------------------------


async def add_invoice(
    uow: UnitOfWork,
    order_id: int,
    number: str,
    amount: Decimal,
    issued_on: date,
    remarks: str | None = None,
) -> Invoice:
    """Record an invoice; the invoiced total stays within the order's net amount."""
    order = await managed_order(uow, order_id, "orderId")
    problems = Problems()
    if p := text_problem(number, max_length=50):
        problems.add("number", p)
    if p := money_problem(amount, positive=True):
        problems.add("amount", p)
    problems.raise_if_any()
    money, _ = await status_of(uow, order)
    room = money.net_amount - money.invoiced
    if amount > room:
        raise AmountExceeded(
            f"Only {room} of the order is not invoiced yet (got {amount}).", "amount", room
        )
    invoice = Invoice(
        order_id=order.id,
        number=number.strip(),
        amount=cents(amount),
        issued_on=issued_on,
        remarks=(remarks or "").strip() or None,
        created_by_id=uow.principal.user_id,
        created_at=uow.now,
    )
    uow.session.add(invoice)
    await uow.session.flush()
    uow.log(ENTITY, order.id, "invoice", {"invoice": [None, invoice.number]})
    return invoice


async def delete_invoice(uow: UnitOfWork, id: int) -> int:
    invoice_id = id
    invoice = await uow.session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound("Invoice", invoice_id)
    try:
        order = await managed_order(uow, invoice.order_id)
    except NotFound:
        raise NotFound("Invoice", invoice_id) from None
    await uow.session.delete(invoice)
    uow.log(ENTITY, order.id, "delete_invoice", {"invoice": [invoice.number, None]})
    return invoice_id


async def _line_of_managed_order(uow: UnitOfWork, line_id: int) -> tuple[OrderLine, Order]:
    line = await uow.session.get(OrderLine, line_id)
    if line is None:
        raise NotFound("Order line", line_id, "orderLineId")
    try:
        order = await managed_order(uow, line.order_id, "orderLineId")
    except NotFound:
        raise NotFound("Order line", line_id, "orderLineId") from None
    return line, order


async def _quantity_problems(quantity: Decimal) -> None:
    if p := quantity_problem(quantity):
        problems = Problems()
        problems.add("quantity", p)
        problems.raise_if_any()


async def add_delivery_plan(
    uow: UnitOfWork, order_line_id: int, due_on: date, quantity: Decimal, remarks: str | None
) -> DeliveryPlan:
    line, order = await _line_of_managed_order(uow, order_line_id)
    await _quantity_problems(quantity)
    room = line.quantity - await total(
        uow, DeliveryPlan.quantity, DeliveryPlan.order_line_id == line.id
    )
    if quantity > room:
        raise AmountExceeded(
            f"Only {room} of {line.quantity} is not planned yet (got {quantity}).", "quantity", room
        )
    plan = DeliveryPlan(
        order_line_id=line.id,
        due_on=due_on,
        quantity=cents(quantity),
        remarks=(remarks or "").strip() or None,
        created_at=uow.now,
    )
    uow.session.add(plan)
    await uow.session.flush()
    uow.log(ENTITY, order.id, "plan_delivery", {"quantity": [None, str(quantity)]})
    return plan


async def record_delivery(
    uow: UnitOfWork,
    order_line_id: int,
    delivered_on: date,
    quantity: Decimal,
    plan_id: int | None = None,
    remarks: str | None = None,
) -> DeliveryRecord:
    """Record goods delivered; never more in total than the line's quantity."""
    line, order = await _line_of_managed_order(uow, order_line_id)  # locks the order
    await _quantity_problems(quantity)
    if plan_id is not None:
        plan = await uow.session.get(DeliveryPlan, plan_id)
        if plan is None or plan.order_line_id != line.id:
            raise NotFound("Delivery plan of this line", plan_id, "planId")
    room = line.quantity - await total(
        uow, DeliveryRecord.quantity, DeliveryRecord.order_line_id == line.id
    )
    if quantity > room:
        raise AmountExceeded(
            f"Only {room} of {line.quantity} is still to deliver (got {quantity}).",
            "quantity",
            room,
        )
    record = DeliveryRecord(
        order_line_id=line.id,
        plan_id=plan_id,
        delivered_on=delivered_on,
        quantity=cents(quantity),
        remarks=(remarks or "").strip() or None,
        handler_id=uow.principal.user_id,
        created_at=uow.now,
    )
    uow.session.add(record)
    await uow.session.flush()
    uow.log(ENTITY, order.id, "deliver", {"quantity": [None, str(quantity)]})
    return record
