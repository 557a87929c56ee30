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

The intent facts (``IntentProduct``: each opportunity with the products its live orders
name) are not sums but copies, stated once in ``intent_facts``: when the unit commits, the
facts of every opportunity it touched are written afresh. That is the opportunities the
held orders belonged to before and belong to after, and those named to
``opportunities_changing`` (created, or given another owner).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Numeric,
    Select,
    String,
    and_,
    cast,
    delete,
    func,
    insert,
    inspect,
    join,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.db import visibility
from gql_crm.db.base import core_table
from gql_crm.db.local_time import PeriodStart
from gql_crm.db.models import Opportunity, Order, OrderLine, PaymentRecord, Refund
from gql_crm.db.models.statistics import (
    BuyerPeriod,
    IntentProduct,
    OrderDay,
    ProductDay,
    RefundSum,
    Span,
)
from gql_crm.db.upsert import insert_adding
from gql_crm.services.unit_of_work import UnitOfWork

PENDING = "statistics_rollup"
# Rows of sums per INSERT: well within SQLite's 32,766 parameters at 9 columns a row.
ROWS_PER_STATEMENT = 2_000
# Each table's columns in order, key first: what ``contribution`` selects for it.
COLUMNS: dict[Any, list[str]] = {
    model: [column.name for column in core_table(model).columns]
    for model in (OrderDay, ProductDay, BuyerPeriod, RefundSum, IntentProduct)
}
# Concurrent units of work write one opportunity's intent facts in turn (PostgreSQL):
# a transaction-scoped advisory lock per opportunity, in this class of locks.
INTENT_LOCKS = 0x5157  # any constant no other advisory lock of the database uses


def _counted(orders: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    return [orders, Order.deleted_at.is_(None), visibility.counts_customer(Order.customer_id)]


def _of_type(stmt: Any) -> Any:
    return stmt.outerjoin(Opportunity, Opportunity.id == Order.opportunity_id)


def contribution(orders: ColumnElement[bool]) -> dict[Any, Select[Any] | CompoundSelect[Any]]:
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

    def signed_lines(by: list[Any], values: list[Any], day: Any = Order.signed_on) -> Select[Any]:
        """The lines of signed orders summed by owner, ``day`` (the sign date's), deal type
        and ``by``."""
        grouped = [Order.owner_id, day, deal_type, *by]
        lines = select(*grouped, *values).join(Order, Order.id == OrderLine.order_id)
        counted: Select[Any] = _of_type(lines.select_from(OrderLine))
        return counted.where(*signed).group_by(*grouped)

    quantity, amount = func.sum(OrderLine.quantity), func.sum(OrderLine.amount)
    by_product = signed_lines([OrderLine.product_id], [func.count(), quantity, amount])
    buyers = [OrderLine.product_id, Order.customer_id]
    by_buyer = union_all(
        *(
            signed_lines(
                buyers,
                [literal(span.value, String()), func.count()],
                Order.signed_on if span is Span.DAY else PeriodStart(span.value, Order.signed_on),
            )
            for span in Span
        )
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
    return {OrderDay: by_day, ProductDay: by_product, BuyerPeriod: by_buyer, RefundSum: refunds}


def intent_facts(opportunities: ColumnElement[bool]) -> Select[Any]:
    """The intent facts of the opportunities matching ``opportunities`` (``COLUMNS``): each
    with every product its live orders name, or product 0 when they name none."""
    columns: list[Any] = [
        Opportunity.id,
        func.coalesce(OrderLine.product_id, 0),
        Opportunity.owner_id,
        Opportunity.created_at,
        Opportunity.customer_id,
    ]
    lines = join(Order, OrderLine, OrderLine.order_id == Order.id)
    live = and_(Order.opportunity_id == Opportunity.id, Order.deleted_at.is_(None))
    return select(*columns).outerjoin(lines, live).where(opportunities).distinct()


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


@dataclass
class _Pending:
    """What a unit of work owes the statistics tables when it commits."""

    orders: list[int] = field(default_factory=list)  # held: their contribution taken off
    change: Sums = field(default_factory=dict)  # the change to the sums so far
    opportunities: set[int] = field(default_factory=set)  # whose intent facts to rewrite


def _pending(uow: UnitOfWork) -> _Pending:
    """This unit of work's pending change; written, in one step, just before it commits."""
    pending: _Pending = uow.pending.setdefault(PENDING, _Pending())

    async def write_change() -> None:
        session = uow.session
        await session.flush()
        await _read(session, pending.orders, 1, pending.change)
        dialect = session.get_bind().dialect.name
        for model, sums in pending.change.items():
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
                await session.execute(insert_adding(dialect, model, COLUMNS[model], chunk))
        touched = pending.opportunities | set(await _opportunities_of(session, pending.orders))
        await _write_intents(session, sorted(touched))

    uow.before_commit(PENDING, write_change)  # once: the first step named so is kept
    return pending


async def _opportunities_of(session: AsyncSession, order_ids: list[int]) -> list[int]:
    found: list[int] = []
    for start in range(0, len(order_ids), ROWS_PER_STATEMENT):
        chunk = order_ids[start : start + ROWS_PER_STATEMENT]
        stmt = select(Order.opportunity_id).where(
            Order.id.in_(chunk), Order.opportunity_id.is_not(None)
        )
        found.extend(await session.scalars(stmt.distinct()))
    return found


async def _write_intents(session: AsyncSession, opportunity_ids: list[int]) -> None:
    """Rewrite the intent facts of these opportunities (in id order) from their orders."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(opportunity_ids), ROWS_PER_STATEMENT):
        chunk = opportunity_ids[start : start + ROWS_PER_STATEMENT]
        if postgresql:
            # Taken last, after every row lock of the unit: a unit holding one of these
            # waits for nothing else (the facts' reference to the opportunity shares its
            # row with a unit changing it: ``managed_opportunity``), so two writers of one
            # opportunity take turns, and each reads the orders as the other committed them.
            ids = select(Opportunity.id).where(Opportunity.id.in_(chunk)).order_by(Opportunity.id)
            ordered = ids.subquery()
            await session.execute(select(func.pg_advisory_xact_lock(INTENT_LOCKS, ordered.c.id)))
        await session.execute(delete(IntentProduct).where(IntentProduct.opportunity_id.in_(chunk)))
        facts = intent_facts(Opportunity.id.in_(chunk))
        await session.execute(insert(IntentProduct).from_select(COLUMNS[IntentProduct], facts))


async def changing(uow: UnitOfWork, order_ids: Iterable[int]) -> None:
    """Call before changing these orders or anything they count by (see the module)."""
    pending = _pending(uow)
    fresh = _new(pending.orders, order_ids)
    if not fresh:
        return
    # What the database holds is the contribution before the change: an attribute already
    # set on a loaded order must not be flushed first.
    with uow.session.no_autoflush:
        await _read(uow.session, fresh, -1, pending.change)
        pending.opportunities.update(await _opportunities_of(uow.session, fresh))


def added(uow: UnitOfWork, order_ids: Iterable[int]) -> None:
    """New orders: nothing to take off; their contribution is added when the unit commits."""
    _new(_pending(uow).orders, order_ids)


def opportunities_changing(uow: UnitOfWork, opportunity_ids: Iterable[int]) -> None:
    """Opportunities created, or changing owner: their intent facts are written anew when
    the unit commits."""
    _pending(uow).opportunities.update(opportunity_ids)


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
    """Every sum and intent fact computed afresh from the orders, in the caller's
    transaction."""
    dialect = session.get_bind().dialect.name
    for model, rows in contribution(true()).items():
        await session.execute(delete(model))
        await session.execute(insert_adding(dialect, model, COLUMNS[model], rows))
    await session.execute(delete(IntentProduct))
    await session.execute(
        insert(IntentProduct).from_select(COLUMNS[IntentProduct], intent_facts(true()))
    )
