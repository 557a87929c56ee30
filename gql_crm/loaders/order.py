from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    func,
    literal,
    select,
    union_all,
)

from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.base import ZERO, Money
from gql_crm.db.engine import Reads
from gql_crm.db.models import (
    DeliveryPlan,
    DeliveryRecord,
    Expense,
    ExpenseKind,
    ExpenseStatus,
    Invoice,
    Order,
    OrderLine,
    PaymentPlan,
    PaymentRecord,
    Refund,
)
from gql_crm.db.pagination import Page, SortKey
from gql_crm.loaders.base import Loader, LoaderSet, loader, scoped_loader
from gql_crm.loaders.batch import (
    Children,
    Slice,
    children,
    in_keys,
    numbered,
    page_of,
    pages_per_parent,
    per_principal,
    scoped_pages,
)
from gql_crm.services.order import (
    OrderMoney,
    order_money_statement,
    sum_for_order,
)

# The orders a customer view lists each part in (also read by the compiled view).
ORDER_ORDER = [SortKey(Order.created_at, True), SortKey(Order.id, True)]
PAYMENT_PLAN_ORDER = [SortKey(PaymentPlan.due_on), SortKey(PaymentPlan.id)]
PAYMENT_ORDER = [SortKey(PaymentRecord.paid_on, True), SortKey(PaymentRecord.id, True)]
INVOICE_ORDER = [SortKey(Invoice.issued_on, True), SortKey(Invoice.id, True)]
EXPENSE_ORDER = [SortKey(Expense.occurred_on, True), SortKey(Expense.id, True)]

Statement = Callable[[bool], Select[Any]]  # a sub-list's statement, without or with a cursor


CUSTOMER_ORDERS = Children(Order.customer_id, ORDER_ORDER, rule=visibility.order)
load_customer_orders = scoped_pages(CUSTOMER_ORDERS)


load_lines = children(OrderLine.order_id, OrderLine.position, OrderLine.id)
load_invoices = children(Invoice.order_id, Invoice.issued_on, Invoice.id)
load_payment_plans = children(PaymentPlan.order_id, PaymentPlan.due_on, PaymentPlan.id)
load_payments = children(PaymentRecord.order_id, PaymentRecord.sequence)
load_refunds = children(Refund.order_id, Refund.refunded_at, Refund.id)
load_delivery_plans = children(DeliveryPlan.order_line_id, DeliveryPlan.due_on, DeliveryPlan.id)
load_deliveries = children(
    DeliveryRecord.order_line_id, DeliveryRecord.delivered_on, DeliveryRecord.id
)
_order_money = order_money_statement(in_keys(Order.id))


async def load_order_money(database: Reads, order_ids: Sequence[int]) -> list[OrderMoney]:
    """Amount, received, refunded and invoiced per order: one statement for all of them."""
    async with database.reader() as session:
        result = await session.execute(_order_money, {"keys": list(dict.fromkeys(order_ids))})
        rows = {row.order_id: row for row in result.all()}
    zero = OrderMoney(ZERO, ZERO, ZERO, ZERO)
    return [
        OrderMoney(
            Decimal(row.amount), Decimal(row.received), Decimal(row.refunded), Decimal(row.invoiced)
        )
        if (row := rows.get(order_id))
        else zero
        for order_id in order_ids
    ]


@dataclass(frozen=True, slots=True)
class CustomerMoney:
    """A customer's totals over the orders and expenses the caller may see."""

    contract_total: Decimal
    received_total: Decimal
    refunded_total: Decimal
    approved_expense_total: Decimal

    @property
    def net_contract_total(self) -> Decimal:
        return self.contract_total - self.refunded_total

    @property
    def net_received_total(self) -> Decimal:
        return self.received_total - self.refunded_total

    @property
    def outstanding_total(self) -> Decimal:
        return self.contract_total - self.received_total


def customer_money_rows(
    principal: Principal,
    of_customers: Callable[[Any], ColumnElement[bool]],
    correlate: Any = None,
) -> CompoundSelect[Any]:
    """The rows a customer's totals (``CustomerMoney``) add up: per order the caller may see,
    its amount, received and refunded (correlated subqueries over the order's own payments
    and refunds), and per approved expense the caller may see, its amount. ``of_customers``
    picks the customers by a row's customer id column; ``correlate``: the enclosing table
    the rows refer to, if any (the compiled view's customer)."""
    per_order = select(
        Order.customer_id.label("customer_id"),
        Order.amount.label("contract"),
        sum_for_order(PaymentRecord).label("received"),
        sum_for_order(Refund).label("refunded"),
        literal(ZERO, Money).label("expenses"),
    ).where(of_customers(Order.customer_id), visibility.order(principal))
    approved = select(
        Expense.customer_id.label("customer_id"),
        literal(ZERO, Money),
        literal(ZERO, Money),
        literal(ZERO, Money),
        Expense.amount,
    ).where(
        of_customers(Expense.customer_id),
        Expense.kind == ExpenseKind.EXPENSE,
        Expense.status == ExpenseStatus.APPROVED,
        visibility.expense(principal),
    )
    if correlate is not None:
        per_order, approved = per_order.correlate(correlate), approved.correlate(correlate)
    return union_all(per_order, approved)


@per_principal
def _customer_money(principal: Principal) -> Select[Any]:
    """One statement for any number of customers, grouped by customer."""
    rows = customer_money_rows(principal, in_keys).subquery()
    return select(
        rows.c.customer_id,
        func.sum(rows.c.contract).label("contract"),
        func.sum(rows.c.received).label("received"),
        func.sum(rows.c.refunded).label("refunded"),
        func.sum(rows.c.expenses).label("expenses"),
    ).group_by(rows.c.customer_id)


async def load_customer_money(
    database: Reads, principal: Principal, customer_ids: Sequence[int]
) -> list[CustomerMoney]:
    stmt = _customer_money(principal)
    async with database.reader() as session:
        result = await session.execute(stmt, {"keys": list(dict.fromkeys(customer_ids))})
        rows = {row.customer_id: row for row in result.all()}
    result = []
    for customer_id in customer_ids:
        row = rows.get(customer_id)
        result.append(
            CustomerMoney(
                contract_total=Decimal(row.contract) if row else ZERO,
                received_total=Decimal(row.received) if row else ZERO,
                refunded_total=Decimal(row.refunded) if row else ZERO,
                approved_expense_total=Decimal(row.expenses) if row else ZERO,
            )
        )
    return result


def _through_orders(principal: Principal, model: Any, order: list[SortKey]) -> Statement:
    """Pages per customer in ``:keys`` of an order's child, over the orders the caller may
    see, numbered as ``windowed`` numbers them; each row comes with its customer id."""

    @functools.cache
    def statement(after: bool) -> Select[Any]:
        rows = (
            select(
                model.id.label("id"),
                Order.customer_id.label("parent_customer_id"),
                *numbered(Order.customer_id, order, after),
            )
            .join(Order, Order.id == model.order_id)
            .where(in_keys(Order.customer_id), visibility.order(principal))
            .subquery()
        )
        return (
            select(model, *(column for column in rows.c if column.name != "id"))
            .join(rows, model.id == rows.c.id)
            .where(page_of(rows, after))
            .order_by(rows.c.n)
        )

    return statement


async def _per_customer(
    database: Reads,
    statement: Statement,
    keys: Sequence[Slice],
    order: list[SortKey],
    item: Callable[[Any], Any] = lambda row: row[0],
) -> list[Page[Any]]:
    return await pages_per_parent(
        database, statement, keys, order, lambda row: row.parent_customer_id, item
    )


@per_principal
def _customer_payment_plans(principal: Principal) -> Statement:
    return _through_orders(principal, PaymentPlan, PAYMENT_PLAN_ORDER)


async def load_customer_payment_plans(
    database: Reads, principal: Principal, keys: Sequence[Slice]
) -> list[Page[PaymentPlan]]:
    """Pages of a customer's payment plans by due date."""
    statement = _customer_payment_plans(principal)
    return await _per_customer(database, statement, keys, PAYMENT_PLAN_ORDER)


@per_principal
def _customer_payments(principal: Principal) -> Statement:
    return _through_orders(principal, PaymentRecord, PAYMENT_ORDER)


async def load_customer_payments(
    database: Reads, principal: Principal, keys: Sequence[Slice]
) -> list[Page[PaymentRecord]]:
    statement = _customer_payments(principal)
    return await _per_customer(database, statement, keys, PAYMENT_ORDER)


@per_principal
def _customer_invoices(principal: Principal) -> Statement:
    return _through_orders(principal, Invoice, INVOICE_ORDER)


async def load_customer_invoices(
    database: Reads, principal: Principal, keys: Sequence[Slice]
) -> list[Page[Invoice]]:
    statement = _customer_invoices(principal)
    return await _per_customer(database, statement, keys, INVOICE_ORDER)


CUSTOMER_EXPENSES = Children(Expense.customer_id, EXPENSE_ORDER, rule=visibility.expense)
load_customer_expenses = scoped_pages(CUSTOMER_EXPENSES)


class OrderLoaders(LoaderSet):
    # Pages per customer; only those the caller may see.
    customer_orders: Loader[Slice, Page[Order]] = scoped_loader(load_customer_orders)
    # Totals per customer over what the caller may see: one statement per level.
    customer_money: Loader[int, CustomerMoney] = scoped_loader(load_customer_money)
    order_money: Loader[int, OrderMoney] = loader(load_order_money)
    order_lines: Loader[int, list[OrderLine]] = loader(load_lines)
    order_invoices: Loader[int, list[Invoice]] = loader(load_invoices)
    order_payment_plans: Loader[int, list[PaymentPlan]] = loader(load_payment_plans)
    order_payments: Loader[int, list[PaymentRecord]] = loader(load_payments)
    order_refunds: Loader[int, list[Refund]] = loader(load_refunds)
    line_delivery_plans: Loader[int, list[DeliveryPlan]] = loader(load_delivery_plans)
    line_deliveries: Loader[int, list[DeliveryRecord]] = loader(load_deliveries)
    # Pages of money records per customer, over the orders / expenses the caller sees.
    customer_payment_plans: Loader[Slice, Page[PaymentPlan]] = scoped_loader(
        load_customer_payment_plans
    )
    customer_payments: Loader[Slice, Page[PaymentRecord]] = scoped_loader(load_customer_payments)
    customer_invoices: Loader[Slice, Page[Invoice]] = scoped_loader(load_customer_invoices)
    customer_expenses: Loader[Slice, Page[Expense]] = scoped_loader(load_customer_expenses)
