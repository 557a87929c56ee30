from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from gql_crm.auth.principal import Principal
from gql_crm.db.base import ZERO, Money
from gql_crm.db.engine import Database
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
from gql_crm.loaders.batch import first_per_parent, grouped, in_keys
from gql_crm.services.expense import expense_visibility
from gql_crm.services.order import (
    OrderMoney,
    order_money_statement,
    order_visibility,
    sum_for_order,
)


async def load_customer_orders(
    database: Database, principal: Principal, keys: Sequence[tuple[int, int]]
) -> list[list[Order]]:
    """The newest visible orders per (customer id, how many)."""
    order: list[ColumnElement[Any]] = [Order.created_at.desc(), Order.id.desc()]
    return await first_per_parent(
        database, Order, Order.customer_id, order, keys, order_visibility(principal)
    )


def _children(model: Any, parent: Any, *order_by: Any) -> Any:
    async def load(database: Database, keys: Sequence[int]) -> list[list[Any]]:
        stmt = select(model).where(in_keys(parent, keys)).order_by(*order_by)
        return await grouped(database, stmt, lambda row: getattr(row, parent.key), keys)

    return load


load_lines = _children(OrderLine, OrderLine.order_id, OrderLine.position, OrderLine.id)
load_invoices = _children(Invoice, Invoice.order_id, Invoice.issued_on, Invoice.id)
load_payment_plans = _children(
    PaymentPlan, PaymentPlan.order_id, PaymentPlan.due_on, PaymentPlan.id
)
load_payments = _children(PaymentRecord, PaymentRecord.order_id, PaymentRecord.sequence)
load_refunds = _children(Refund, Refund.order_id, Refund.refunded_at, Refund.id)
load_delivery_plans = _children(
    DeliveryPlan, DeliveryPlan.order_line_id, DeliveryPlan.due_on, DeliveryPlan.id
)
load_deliveries = _children(
    DeliveryRecord, DeliveryRecord.order_line_id, DeliveryRecord.delivered_on, DeliveryRecord.id
)


async def load_order_money(database: Database, order_ids: Sequence[int]) -> list[OrderMoney]:
    """Amount, received, refunded and invoiced per order: one statement for all of them."""
    stmt = order_money_statement(in_keys(Order.id, order_ids))
    async with database.reader() as session:
        rows = {row.order_id: row for row in (await session.execute(stmt)).all()}
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


def customer_money_statement(principal: Principal, customer_ids: Sequence[int]) -> Any:
    """One statement for any number of customers: per-order sums (correlated subqueries
    over the order's own payments and refunds) and approved expenses, grouped by customer."""
    per_order = select(
        Order.customer_id.label("customer_id"),
        Order.amount.label("contract"),
        sum_for_order(PaymentRecord).label("received"),
        sum_for_order(Refund).label("refunded"),
        literal(ZERO, Money).label("expenses"),
    ).where(in_keys(Order.customer_id, customer_ids), order_visibility(principal))
    approved = select(
        Expense.customer_id.label("customer_id"),
        literal(ZERO, Money),
        literal(ZERO, Money),
        literal(ZERO, Money),
        Expense.amount,
    ).where(
        in_keys(Expense.customer_id, customer_ids),
        Expense.kind == ExpenseKind.EXPENSE,
        Expense.status == ExpenseStatus.APPROVED,
        expense_visibility(principal),
    )
    rows = union_all(per_order, approved).subquery()
    return select(
        rows.c.customer_id,
        func.sum(rows.c.contract).label("contract"),
        func.sum(rows.c.received).label("received"),
        func.sum(rows.c.refunded).label("refunded"),
        func.sum(rows.c.expenses).label("expenses"),
    ).group_by(rows.c.customer_id)


async def load_customer_money(
    database: Database, principal: Principal, customer_ids: Sequence[int]
) -> list[CustomerMoney]:
    stmt = customer_money_statement(principal, customer_ids)
    async with database.reader() as session:
        rows = {row.customer_id: row for row in (await session.execute(stmt)).all()}
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


async def _per_customer_through_orders(
    database: Database,
    principal: Principal,
    model: Any,
    order_by: list[Any],
    keys: Sequence[tuple[int, int]],
    *extra: Any,
) -> list[list[Any]]:
    """The first ``limit`` rows of an order's child per customer, over the orders the caller
    may see, in one windowed statement; each row comes with the ``extra`` labelled values."""
    largest = max(limit for _, limit in keys)
    parents = list(dict.fromkeys(parent for parent, _ in keys))
    numbered = (
        select(
            model,
            Order.customer_id.label("parent_customer_id"),
            *extra,
            func.row_number().over(partition_by=Order.customer_id, order_by=order_by).label("n"),
        )
        .join(Order, Order.id == model.order_id)
        .where(Order.customer_id.in_(parents), order_visibility(principal))
        .subquery()
    )
    entity = aliased(model, numbered)
    stmt = (
        select(entity, numbered.c.parent_customer_id, *(numbered.c[e.name] for e in extra))
        .where(numbered.c.n <= largest)
        .order_by(numbered.c.n)
    )
    async with database.reader() as session:
        rows = (await session.execute(stmt)).all()
    groups: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        groups[row[1]].append((row[0], *row[2:]) if extra else row[0])
    return [groups.get(parent, [])[:limit] for parent, limit in keys]


async def load_customer_payment_plans(
    database: Database, principal: Principal, keys: Sequence[tuple[int, int]]
) -> list[list[tuple[PaymentPlan, bool]]]:
    """Payment plans per customer by due date, each with whether it is met (the order's
    payments cover it and every plan of the order due before it)."""
    earlier = aliased(PaymentPlan)
    covered = (
        select(func.coalesce(func.sum(earlier.amount), ZERO))
        .where(
            earlier.order_id == PaymentPlan.order_id,
            or_(
                earlier.due_on < PaymentPlan.due_on,
                and_(earlier.due_on == PaymentPlan.due_on, earlier.id <= PaymentPlan.id),
            ),
        )
        .correlate(PaymentPlan)
        .scalar_subquery()
    )
    met = (sum_for_order(PaymentRecord) >= covered).label("met")
    return await _per_customer_through_orders(
        database,
        principal,
        PaymentPlan,
        [PaymentPlan.due_on, PaymentPlan.id],
        keys,
        met,
    )


async def load_customer_payments(
    database: Database, principal: Principal, keys: Sequence[tuple[int, int]]
) -> list[list[PaymentRecord]]:
    order = [PaymentRecord.paid_on.desc(), PaymentRecord.id.desc()]
    return await _per_customer_through_orders(database, principal, PaymentRecord, order, keys)


async def load_customer_invoices(
    database: Database, principal: Principal, keys: Sequence[tuple[int, int]]
) -> list[list[Invoice]]:
    order = [Invoice.issued_on.desc(), Invoice.id.desc()]
    return await _per_customer_through_orders(database, principal, Invoice, order, keys)


async def load_customer_expenses(
    database: Database, principal: Principal, keys: Sequence[tuple[int, int]]
) -> list[list[Expense]]:
    order: list[ColumnElement[Any]] = [Expense.occurred_on.desc(), Expense.id.desc()]
    return await first_per_parent(
        database, Expense, Expense.customer_id, order, keys, expense_visibility(principal)
    )
