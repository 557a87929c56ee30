"""The sums the statistics reports read (``db/models/statistics.py``), kept in the
transaction of every write that changes what an order counts for.

What an order contributes is stated once, in ``contribution``, with the rules of
``services/statistics.py``: live orders of customers not in the recycle bin; amounts and
lines by sign date (orders without one are not deals yet), payments by the day received,
refunds by the moment paid back; for the order's owner, under its opportunity's type. The
services call ``changing`` with the orders a write is about to change (their amount,
lines, sign date, owner, opportunity, payments, refunds, deletion, their customer's
deletion, their opportunity's type) before changing them: their contribution as it stands
is read then, once per unit of work, and their contribution as it stands at the end when
it commits; the difference is added to the sums in one statement per table. A new order
is only ``added``. Reading is one statement per table whatever the number of orders, lines
or payments. ``rebuild`` computes every sum afresh (after loads that write the tables
directly).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Numeric,
    Select,
    cast,
    delete,
    func,
    inspect,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.db import visibility
from gql_crm.db.base import core_table
from gql_crm.db.models import Opportunity, Order, OrderLine, PaymentRecord, Refund
from gql_crm.db.models.statistics import OrderDay, ProductDay, RefundSum
from gql_crm.db.upsert import insert_adding
from gql_crm.services.unit_of_work import UnitOfWork

PENDING = "statistics_rollup"
# Rows of sums per INSERT: well within SQLite's 32,766 parameters at 9 columns a row.
ROWS_PER_STATEMENT = 2_000
# Each table's columns in order, key first: what ``contribution`` selects for it.
COLUMNS: dict[Any, list[str]] = {
    model: [column.name for column in core_table(model).columns]
    for model in (OrderDay, ProductDay, RefundSum)
}


def _counted(orders: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    return [orders, Order.deleted_at.is_(None), visibility.counts_customer(Order.customer_id)]


def _of_type(stmt: Any) -> Any:
    return stmt.outerjoin(Opportunity, Opportunity.id == Order.opportunity_id)


def contribution(orders: ColumnElement[bool]) -> dict[Any, Select[Any]]:
    """What the orders matching ``orders`` add to each table of sums: a SELECT of its
    columns (``COLUMNS``) per table, one row per key."""
    deal_type = func.coalesce(Opportunity.type_id, 0)
    signed = [*_counted(orders), Order.signed_on.is_not(None)]

    def count(n: int) -> Any:
        return cast(literal(n), Integer())

    def money(value: Any) -> Any:
        return cast(literal(0), Numeric(18, 2)) if value is None else value

    def fact(day: Any, values: tuple[int, Any, int, Any, int, Any]) -> list[Any]:
        n1, v1, n2, v2, n3, v3 = values
        keys = [Order.owner_id.label("owner_id"), day.label("day"), deal_type.label("type")]
        return [*keys, count(n1), money(v1), count(n2), money(v2), count(n3), money(v3)]

    parts = union_all(
        _of_type(select(*fact(Order.signed_on, (1, Order.amount, 0, None, 0, None)))).where(
            *signed
        ),
        _of_type(
            select(*fact(Order.signed_on, (0, None, 1, OrderLine.quantity, 0, None)))
            .select_from(OrderLine)
            .join(Order, Order.id == OrderLine.order_id)
        ).where(*signed),
        _of_type(
            select(*fact(PaymentRecord.paid_on, (0, None, 0, None, 1, PaymentRecord.amount)))
            .select_from(PaymentRecord)
            .join(Order, Order.id == PaymentRecord.order_id)
        ).where(*_counted(orders)),
    ).subquery("facts")
    keys = [parts.c.owner_id, parts.c.day, parts.c.type]
    sums = [func.sum(column) for column in list(parts.c)[3:]]
    # SQLite reads an upsert's SELECT unambiguously only with a WHERE clause.
    by_day = select(*keys, *sums).where(true()).group_by(*keys)
    by_product = (
        _of_type(
            select(
                Order.owner_id,
                Order.signed_on,
                deal_type,
                OrderLine.product_id,
                func.count(),
                func.sum(OrderLine.quantity),
                func.sum(OrderLine.amount),
            )
            .select_from(OrderLine)
            .join(Order, Order.id == OrderLine.order_id)
        )
        .where(*signed)
        .group_by(Order.owner_id, Order.signed_on, deal_type, OrderLine.product_id)
    )
    refunds = (
        _of_type(
            select(
                Order.owner_id,
                Refund.refunded_at,
                deal_type,
                func.count(),
                func.sum(Refund.amount),
            )
            .select_from(Refund)
            .join(Order, Order.id == Refund.order_id)
        )
        .where(*_counted(orders))
        .group_by(Order.owner_id, Refund.refunded_at, deal_type)
    )
    return {OrderDay: by_day, ProductDay: by_product, RefundSum: refunds}


Sums = dict[Any, dict[tuple[Any, ...], list[Any]]]  # table -> key -> the sums' values


async def _read(session: AsyncSession, order_ids: list[int], sign: int, into: Sums) -> None:
    """Add ``sign`` times the orders' contribution to ``into``, one statement per table."""
    for model, rows in contribution(Order.id.in_(order_ids)).items():
        keys = len(inspect(model).primary_key)
        held = into.setdefault(model, {})
        for row in await session.execute(rows):
            values = held.setdefault(tuple(row[:keys]), [0] * (len(row) - keys))
            for i, value in enumerate(row[keys:]):
                values[i] += sign * value


def _held(uow: UnitOfWork) -> tuple[list[int], Sums]:
    """The orders this unit of work changes, and the change to the sums it owes: their
    contribution before is read (taken off) when they are named, after when it commits."""
    held, change = uow.pending.setdefault(PENDING, ([], {}))

    async def write_change() -> None:
        await uow.session.flush()
        await _read(uow.session, held, 1, change)
        dialect = uow.session.get_bind().dialect.name
        for model, sums in change.items():
            # In key order, at the very end: units of work that add to the same sums take
            # their rows' locks in one order and hold them only while they commit, so they
            # wait for one another but never deadlock.
            rows = [
                dict(zip(COLUMNS[model], (*key, *values), strict=True))
                for key, values in sorted(sums.items())
                if any(values)
            ]
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                chunk = rows[start : start + ROWS_PER_STATEMENT]
                await uow.session.execute(insert_adding(dialect, model, COLUMNS[model], chunk))

    uow.before_commit(PENDING, write_change)  # once: the first step named so is kept
    return held, change


async def changing(uow: UnitOfWork, order_ids: Iterable[int]) -> None:
    """Call before changing these orders or anything they count by (see the module)."""
    held, change = _held(uow)
    fresh = _new(held, order_ids)
    if not fresh:
        return
    # What the database holds is the contribution before the change: an attribute already
    # set on a loaded order must not be flushed first.
    with uow.session.no_autoflush:
        await _read(uow.session, fresh, -1, change)


def added(uow: UnitOfWork, order_ids: Iterable[int]) -> None:
    """New orders: nothing to take off; their contribution is added when the unit commits."""
    held, _change = _held(uow)
    _new(held, order_ids)


def _new(held: list[int], order_ids: Iterable[int]) -> list[int]:
    """The orders not held yet, now held."""
    known = set(held)
    fresh = [i for i in dict.fromkeys(order_ids) if i not in known]
    held.extend(fresh)
    return fresh


async def orders_where(uow: UnitOfWork, *where: Any) -> list[int]:
    """The ids of the orders matching ``where`` (a customer's, an opportunity's), to give
    to ``changing``; locked, as a write on one order locks it, so that no other unit of
    work changes their contribution between this one taking it off and adding it back."""
    stmt = select(Order.id).where(*where).order_by(Order.id).with_for_update()
    return list(await uow.session.scalars(stmt))


async def rebuild(session: AsyncSession) -> None:
    """Every sum computed afresh from the orders, in the caller's transaction."""
    dialect = session.get_bind().dialect.name
    for model, rows in contribution(true()).items():
        await session.execute(delete(model))
        await session.execute(insert_adding(dialect, model, COLUMNS[model], rows))
