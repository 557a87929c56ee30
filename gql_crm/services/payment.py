"""Payment plans and records (F5.4) and refunds (F5.3).

Every write locks the order row first (``visible_order``), so two payments racing on one
order are serialised and the over-payment check cannot be passed by both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, Update, exists, func, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from gql_crm.auth.permissions import Action, Advanced, Module, basic
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.base import ZERO
from gql_crm.db.models import Order, PaymentPlan, PaymentRecord, Refund
from gql_crm.db.pagination import SortKey
from gql_crm.services import statistics_rollup, webhook
from gql_crm.services.errors import AmountExceeded, Conflict, NotFound, Problems
from gql_crm.services.money import cents, money_problem
from gql_crm.services.order import managed_order, status_of, total, visible_order
from gql_crm.services.unit_of_work import UnitOfWork
from gql_crm.services.user import assignee_problem
from gql_crm.services.validation import text_problem

PAYMENT_VIEW = basic(Module.PAYMENT, Action.VIEW)
PAYMENT_CREATE = basic(Module.PAYMENT, Action.CREATE)
PAYMENT_EDIT = basic(Module.PAYMENT, Action.EDIT)
PAYMENT_DELETE = basic(Module.PAYMENT, Action.DELETE)
REFUND_CREATE = basic(Module.REFUND, Action.CREATE)
ENTITY = "order"


async def _payable_order(uow: UnitOfWork, order_id: int) -> Order:
    """A visible order, locked; others' orders need payment:record_any."""
    order = await visible_order(uow, order_id, "orderId")
    if order.owner_id != uow.principal.user_id:
        uow.principal.require(Advanced.RECORD_ANY_PAYMENT)
    return order


def _amount(amount: Decimal) -> None:
    if p := money_problem(amount, positive=True):
        problems = Problems()
        problems.add("amount", p)
        problems.raise_if_any()


# ---- plans ---------------------------------------------------------------------------------


async def add_payment_plan(
    uow: UnitOfWork, order_id: int, due_on: date, amount: Decimal, remarks: str | None = None
) -> PaymentPlan:
    """Plan an instalment; the planned total stays within the order amount."""
    order = await managed_order(uow, order_id, "orderId")
    _amount(amount)
    room = order.amount - await total(uow, PaymentPlan.amount, PaymentPlan.order_id == order.id)
    if amount > room:
        raise AmountExceeded(
            f"Only {room} of the order amount {order.amount} is not planned yet.", "amount", room
        )
    plan = PaymentPlan(
        order_id=order.id,
        due_on=due_on,
        amount=cents(amount),
        remarks=(remarks or "").strip() or None,
        created_at=uow.now,
    )
    uow.session.add(plan)
    await store_plans_met(uow.session, order.id)
    uow.log(ENTITY, order.id, "plan_payment", {"plannedAmount": [None, str(amount)]})
    return plan


async def delete_payment_plan(uow: UnitOfWork, id: int) -> int:
    plan_id = id
    plan = await uow.session.get(PaymentPlan, plan_id)
    if plan is None:
        raise NotFound("Payment plan", plan_id)
    try:
        order = await managed_order(uow, plan.order_id)
    except NotFound:
        raise NotFound("Payment plan", plan_id) from None
    await uow.session.delete(plan)
    await store_plans_met(uow.session, order.id)
    uow.log(ENTITY, order.id, "delete_payment_plan", {"plannedAmount": [str(plan.amount), None]})
    return plan_id


def _of_orders(column: Any, order_ids: Sequence[int] | None) -> list[ColumnElement[bool]]:
    """``column`` names one of the orders ``order_ids`` (every order: None)."""
    return [] if order_ids is None else [column.in_(order_ids)]


def plans_met_update(order_ids: Sequence[int] | None = None) -> Update:
    """The statement that stores whether each plan of the orders ``order_ids`` (of every
    order: None) is met. Payments are applied to plans in due order (due day, then id), so
    a plan is met once the order's payments cover it and every plan due before it; refunds
    do not undo that (they are money paid back, not payments taken away).

    One statement whatever the number of plans or orders: a window sums each order's plans
    in due order, a grouped subquery sums its payments, and only the flags that change are
    written, so a write that leaves them as they were touches no row.
    """

    received = (
        select(PaymentRecord.order_id, func.sum(PaymentRecord.amount).label("amount"))
        .where(*_of_orders(PaymentRecord.order_id, order_ids))
        .group_by(PaymentRecord.order_id)
        .subquery("received")
    )
    covered = func.sum(PaymentPlan.amount).over(
        partition_by=PaymentPlan.order_id, order_by=(PaymentPlan.due_on, PaymentPlan.id)
    )
    # SQLite adds money as binary floating point: the difference rounded to cents compares
    # as PostgreSQL's exact numerics do (0.10 + 0.20 covers 0.30).
    shortfall = func.round(covered - func.coalesce(received.c.amount, ZERO), 2)
    flags = (
        select(PaymentPlan.id, (shortfall <= 0).label("met"))
        .outerjoin(received, received.c.order_id == PaymentPlan.order_id)
        .where(*_of_orders(PaymentPlan.order_id, order_ids))
        .subquery("flags")
    )
    return (
        update(PaymentPlan)
        .where(PaymentPlan.id == flags.c.id, PaymentPlan.met != flags.c.met)
        .values(met=flags.c.met)
    )


def unmet_due_update(order_ids: Sequence[int] | None = None) -> Update:
    """The statement that stores the due day of the first plan not yet met of each order of
    ``order_ids`` (of every order: None) from the plans' stored flags: run after
    ``plans_met_update``. Grouped, as that one is, and only the days that change are
    written."""
    first_unmet = (
        select(Order.id, func.min(PaymentPlan.due_on).filter(not_(PaymentPlan.met)).label("day"))
        .outerjoin(PaymentPlan, PaymentPlan.order_id == Order.id)
        .where(*_of_orders(Order.id, order_ids))
        .group_by(Order.id)
        .subquery("first_unmet")
    )
    return (
        update(Order)
        .where(Order.id == first_unmet.c.id, Order.unmet_due_on.is_distinct_from(first_unmet.c.day))
        .values(unmet_due_on=first_unmet.c.day)
    )


async def store_plans_met(session: AsyncSession, *order_ids: int) -> None:
    """Re-derive the ``met`` flags of the plans of ``order_ids`` after their plans or
    payments changed, and the orders' first unmet due day, in the caller's transaction
    (pending changes are flushed first): two statements per write, however many plans the
    orders have. Every write to an order's plans or payments calls it with the order row
    locked, so no other write to the same order can interleave. Rows already loaded in the
    session take the stored values."""
    if not order_ids:
        return
    await session.flush()
    await _store(session, plans_met_update(order_ids), PaymentPlan, "met")
    await _store(session, unmet_due_update(order_ids), Order, "unmet_due_on")


async def _store(session: AsyncSession, statement: Update, model: Any, attribute: str) -> None:
    changed = await session.execute(
        statement.returning(model.id, getattr(model, attribute)),
        execution_options={"synchronize_session": False},
    )
    for row_id, value in changed:
        if (row := session.identity_map.get(identity_key(model, row_id))) is not None:
            set_committed_value(row, attribute, value)


# ---- payments ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaymentFields:
    amount: Decimal
    paid_on: date
    plan_id: int | None = None
    invoiced: bool = False
    handler_id: int | None = None  # defaults to the caller
    remarks: str | None = None


async def _check_payment(uow: UnitOfWork, order: Order, fields: PaymentFields) -> None:
    """A payment's own fields: a positive amount, a plan of this order, a handler in scope."""
    problems = Problems()
    if p := money_problem(fields.amount, positive=True):
        problems.add("amount", p)
    if fields.remarks is not None and (
        p := text_problem(fields.remarks, max_length=2000, required=False)
    ):
        problems.add("remarks", p)
    if fields.plan_id is not None:
        plan = await uow.session.get(PaymentPlan, fields.plan_id)
        if plan is None or plan.order_id != order.id:
            problems.add("planId", f"payment plan {fields.plan_id} is not a plan of this order")
    if p := await assignee_problem(uow, fields.handler_id):
        problems.add("handlerId", p)
    problems.raise_if_any()


async def record_payment(uow: UnitOfWork, order_id: int, input: dict[str, Any]) -> PaymentRecord:
    """Record money received; refused when the order would be paid beyond its amount."""
    fields = PaymentFields(**input)
    order = await _payable_order(uow, order_id)
    await _check_payment(uow, order, fields)
    money, _ = await status_of(uow, order)
    if fields.amount > money.outstanding:
        raise AmountExceeded(
            f"Over-payment refused: the order amount is {money.amount}, {money.received} is "
            f"already received, so at most {money.outstanding} can still be paid.",
            "amount",
            money.outstanding,
        )
    await statistics_rollup.changing(uow, [order.id])
    # The highest number so far, not the count: numbers never repeat after a deletion.
    sequence = await uow.session.scalar(
        select(func.max(PaymentRecord.sequence)).where(PaymentRecord.order_id == order.id)
    )
    record = PaymentRecord(
        order_id=order.id,
        plan_id=fields.plan_id,
        sequence=(sequence or 0) + 1,
        paid_on=fields.paid_on,
        amount=cents(fields.amount),
        handler_id=fields.handler_id or uow.principal.user_id,
        invoiced=fields.invoiced,
        remarks=(fields.remarks or "").strip() or None,
        created_by_id=uow.principal.user_id,
        created_at=uow.now,
    )
    uow.session.add(record)
    await store_plans_met(uow.session, order.id)
    uow.log(
        ENTITY,
        order.id,
        "payment",
        {"received": [str(money.received), str(money.received + fields.amount)]},
    )
    data = {
        "orderId": order.id,
        "customerId": order.customer_id,
        "paymentSequence": record.sequence,
        "amount": str(record.amount),
    }
    webhook.record(uow, "payment.recorded", data, order.owner_id)
    return record


async def _payment(uow: UnitOfWork, payment_id: int) -> tuple[PaymentRecord, Order]:
    """A payment on an order the caller may record payments for, the order locked."""
    record = await uow.session.get(PaymentRecord, payment_id)
    if record is None:
        raise NotFound("Payment", payment_id)
    try:
        order = await _payable_order(uow, record.order_id)
    except NotFound:
        raise NotFound("Payment", payment_id) from None
    return record, order


async def update_payment(uow: UnitOfWork, id: int, input: dict[str, Any]) -> PaymentRecord:
    """Correct a payment; the order's status and the customer's totals follow. The order's
    payments stay within its amount and above what was refunded."""
    fields = PaymentFields(**input)
    record, order = await _payment(uow, id)
    await _check_payment(uow, order, fields)
    money, _ = await status_of(uow, order)
    received = money.received - record.amount + cents(fields.amount)
    if received > money.amount:
        limit = money.outstanding + record.amount
        raise AmountExceeded(
            f"Over-payment refused: the order amount is {money.amount} and its other payments "
            f"come to {money.received - record.amount}, so this one can be at most {limit}.",
            "amount",
            limit,
        )
    if received < money.refunded:
        raise Conflict(
            f"{money.refunded} was refunded on this order; the payments cannot drop below it.",
            "amount",
        )
    await statistics_rollup.changing(uow, [order.id])
    changes = uow.apply(
        "payment",
        record,
        {
            "amount": cents(fields.amount),
            "paid_on": fields.paid_on,
            "plan_id": fields.plan_id,
            "invoiced": fields.invoiced,
            "handler_id": fields.handler_id or record.handler_id,
            "remarks": (fields.remarks or "").strip() or None,
        },
    )
    if "amount" in changes:
        uow.log(
            ENTITY,
            order.id,
            "update_payment",
            {"received": [str(money.received), str(received)]},
        )
        # Only the amounts count: which plan a payment names does not change what is met.
        await store_plans_met(uow.session, order.id)
    await uow.session.flush()
    return record


async def delete_payment(uow: UnitOfWork, id: int) -> int:
    """Remove a payment recorded by mistake; refused while refunds depend on it."""
    payment_id = id
    record, order = await _payment(uow, payment_id)
    money, _ = await status_of(uow, order)
    if money.received - record.amount < money.refunded:
        raise Conflict(
            f"{money.refunded} was refunded on this order; the payments cannot drop below it.",
            "id",
        )
    await statistics_rollup.changing(uow, [order.id])
    await uow.session.delete(record)
    await store_plans_met(uow.session, order.id)
    uow.log(
        ENTITY,
        order.id,
        "delete_payment",
        {"received": [str(money.received), str(money.received - record.amount)]},
    )
    return payment_id


# ---- refunds -------------------------------------------------------------------------------


async def record_refund(
    uow: UnitOfWork,
    order_id: int,
    amount: Decimal,
    reason: str,
    refunded_at: datetime | None = None,
) -> Refund:
    """Pay money back; never more in total than was received."""
    order = await _payable_order(uow, order_id)
    problems = Problems()
    if p := money_problem(amount, positive=True):
        problems.add("amount", p)
    if p := text_problem(reason, max_length=500):
        problems.add("reason", p)
    when = refunded_at or uow.now
    if when.tzinfo is None:
        problems.add("refundedAt", "must include a time zone")
    elif when > uow.now:
        problems.add("refundedAt", "cannot be in the future")
    problems.raise_if_any()
    await statistics_rollup.changing(uow, [order.id])
    money, _ = await status_of(uow, order)
    if amount > money.net_received:
        raise AmountExceeded(
            f"Refund refused: {money.received} was paid and {money.refunded} already refunded, "
            f"so at most {money.net_received} can be refunded.",
            "amount",
            money.net_received,
        )
    refund = Refund(
        order_id=order.id,
        amount=cents(amount),
        refunded_at=when,
        reason=reason.strip(),
        created_by_id=uow.principal.user_id,
        created_at=uow.now,
    )
    uow.session.add(refund)
    await uow.session.flush()
    uow.log(
        ENTITY,
        order.id,
        "refund",
        {"refunded": [str(money.refunded), str(money.refunded + amount)]},
    )
    return refund


# ---- the list ------------------------------------------------------------------------------

NEWEST_FIRST = (
    SortKey(PaymentRecord.paid_on, True),
    SortKey(PaymentRecord.id, True),
)


@dataclass(frozen=True, slots=True)
class PaymentFilter:
    order_id: int | None = None
    customer_id: int | None = None
    handler_id: int | None = None
    paid_from: date | None = None
    paid_to: date | None = None


def payment_query(principal: Principal, filter: dict[str, Any] | None) -> Select[PaymentRecord]:
    """Payments on the orders the caller may see."""
    filters = PaymentFilter(**(filter or {}))
    on_visible_order = exists().where(
        Order.id == PaymentRecord.order_id,
        visibility.order(principal, narrowed=True),
        *([Order.customer_id == filters.customer_id] if filters.customer_id is not None else []),
    )
    stmt = select(PaymentRecord).where(on_visible_order)
    if filters.order_id is not None:
        stmt = stmt.where(PaymentRecord.order_id == filters.order_id)
    if filters.handler_id is not None:
        stmt = stmt.where(PaymentRecord.handler_id == filters.handler_id)
    if filters.paid_from is not None:
        stmt = stmt.where(PaymentRecord.paid_on >= filters.paid_from)
    if filters.paid_to is not None:
        stmt = stmt.where(PaymentRecord.paid_on <= filters.paid_to)
    return stmt
