"""Commission: what each person earns under the plans that apply to them, for a month, a
quarter or a year, with the breakdown line by line.

What a plan counts (its *base*): the deals its person signed (orders by sign date) or the
payments received on their orders (by date received); a refund is deducted in the period it
is paid back, as a line linked to its order, taking back the commission its amount earned
(for a margin-based plan, its share of the order's margin). A management plan counts the
sales of everyone in the departments its person manages (and the ones below them), as the
departments stand now. Bases:
- by total: a percentage of the base (sales, or sales minus cost) or a fixed amount, by
  tiers of thresholds; a tier is reached when the base is at or above its threshold, and the
  plan says whether the reached tier's rate applies to the WHOLE base, or each tier's rate
  to the MARGINAL part between its threshold and the next (fixed amounts: the highest tier's
  amount, or every reached tier's amount added up). A negative base (refunds exceeding the
  period's sales) is clawed back at the lowest tier's rate.
- by level: the person's level (one-star, two-star...) earns its rate of the base or its
  fixed amount each period;
- by product: each order line earns its product's rule (a rate of its amount or margin, or a
  fixed amount per unit); a rule for the salesperson beats one for their department, which
  beats the product's general rule. Payments and refunds are spread over an order's lines
  in proportion to the line amounts.
Plans are versioned: the rules of a plan period are those of the latest version in force on
the period's first day, and new versions take effect from today on, so a past period always
recomputes the same. Each plan period's amount is rounded to the cent (half up); the lines
show the exact figures.
"""

from __future__ import annotations

import enum
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Numeric, Select, func, literal, select, type_coerce, union
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.permissions import ADMIN_EDIT
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.local_time import day_bounds, day_text, local_day
from gql_crm.db.models import (
    Department,
    Order,
    OrderLine,
    PaymentRecord,
    Product,
    Refund,
    User,
)
from gql_crm.db.models.commission import CommissionKind, CommissionPlan, CommissionPlanVersion
from gql_crm.services.errors import Conflict, NotFound, Problems
from gql_crm.services.order import company_today
from gql_crm.services.setting import get_settings
from gql_crm.services.statistics import STATISTICS_VIEW
from gql_crm.services.unit_of_work import UnitOfWork

__all__ = ["ADMIN_EDIT", "STATISTICS_VIEW"]
CENT = Decimal("0.01")
SUM_PLACES = Decimal("0.000001")
ONE = literal(Decimal("1.000000"), Numeric(18, 6))
# Sums read back with their decimals (a product takes its left operand's two places).
SUMMED = Numeric(30, 10)
ZERO = Decimal(0)


class Basis(enum.StrEnum):
    TOTAL = "total"
    LEVEL = "level"
    PRODUCT = "product"


class Counting(enum.StrEnum):
    SIGNED_ORDERS = "signed_orders"
    PAYMENTS = "payments"


class PeriodKind(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Method(enum.StrEnum):
    PERCENT_OF_SALES = "percent_of_sales"
    PERCENT_OF_MARGIN = "percent_of_margin"
    FIXED = "fixed"


class TierMode(enum.StrEnum):
    WHOLE = "whole"
    MARGINAL = "marginal"


# ---- the rules of a plan version --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tier:
    threshold: Decimal
    value: Decimal  # a rate (0.03 is 3 %) or, for FIXED, an amount


@dataclass(frozen=True, slots=True)
class Level:
    name: str
    value: Decimal


@dataclass(frozen=True, slots=True)
class ProductRule:
    product_id: int
    method: Method
    value: Decimal  # a rate, or for FIXED an amount per unit
    department_id: int | None = None
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class Rules:
    basis: Basis
    period: PeriodKind
    counting: Counting = Counting.SIGNED_ORDERS
    method: Method = Method.PERCENT_OF_SALES
    member_ids: tuple[int, ...] = ()
    tiers: tuple[Tier, ...] = ()
    tier_mode: TierMode = TierMode.WHOLE
    levels: tuple[Level, ...] = ()
    assignments: tuple[tuple[int, str], ...] = ()  # (user id, level name)
    products: tuple[ProductRule, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "basis": self.basis.value,
            "period": self.period.value,
            "counting": self.counting.value,
            "method": self.method.value,
            "memberIds": list(self.member_ids),
            "tiers": [[str(t.threshold), str(t.value)] for t in self.tiers],
            "tierMode": self.tier_mode.value,
            "levels": [[lv.name, str(lv.value)] for lv in self.levels],
            "assignments": [[u, name] for u, name in self.assignments],
            "products": [
                [p.product_id, p.method.value, str(p.value), p.department_id, p.user_id]
                for p in self.products
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rules:
        return cls(
            basis=Basis(data["basis"]),
            period=PeriodKind(data["period"]),
            counting=Counting(data["counting"]),
            method=Method(data["method"]),
            member_ids=tuple(data["memberIds"]),
            tiers=tuple(Tier(Decimal(t), Decimal(v)) for t, v in data["tiers"]),
            tier_mode=TierMode(data["tierMode"]),
            levels=tuple(Level(n, Decimal(v)) for n, v in data["levels"]),
            assignments=tuple((int(u), str(n)) for u, n in data["assignments"]),
            products=tuple(
                ProductRule(int(p), Method(m), Decimal(v), d, u)
                for p, m, v, d, u in data["products"]
            ),
        )

    def people(self) -> set[int]:
        """Whom the plan pays: its members, and for a level plan those given a level."""
        return set(self.member_ids) | {u for u, _ in self.assignments}


# ---- periods ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    first: date
    last: date

    @property
    def label(self) -> str:
        if self.kind is PeriodKind.YEAR:
            return f"{self.first.year}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        return f"{self.first.year}-{self.first.month:02d}"

    @classmethod
    def of(cls, kind: PeriodKind, year: int, index: int = 1) -> Period:
        """The ``index``-th month or quarter of ``year`` (1-based), or the year."""
        months = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[kind]
        start_month = (index - 1) * months + 1
        first = date(year, start_month, 1)
        end_month = start_month + months
        after = date(year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
        return cls(kind, first, after - timedelta(days=1))

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2026``, ``2026-Q2`` or ``2026-05``."""
        text = text.strip()
        if m := re.fullmatch(r"(\d{4})", text):
            return cls.of(PeriodKind.YEAR, int(m[1]))
        if (m := re.fullmatch(r"(\d{4})-Q([1-4])", text, re.IGNORECASE)) is not None:
            return cls.of(PeriodKind.QUARTER, int(m[1]), int(m[2]))
        if (m := re.fullmatch(r"(\d{4})-(\d{2})", text)) and 1 <= int(m[2]) <= 12:
            return cls.of(PeriodKind.MONTH, int(m[1]), int(m[2]))
        raise ValueError(f"'{text}' is not a period: write 2026, 2026-Q2 or 2026-05.")

    def split(self, kind: PeriodKind) -> list[Period]:
        """The ``kind`` periods that make up this one (a plan pays per its own period)."""
        order = [PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR]
        if order.index(kind) > order.index(self.kind):
            raise ValueError(
                f"A plan paid per {kind.value} has no figure for a single {self.kind.value}."
            )
        count = {PeriodKind.MONTH: 12, PeriodKind.QUARTER: 4, PeriodKind.YEAR: 1}[kind]
        found = [Period.of(kind, self.first.year, i) for i in range(1, count + 1)]
        return [p for p in found if self.first <= p.first and p.last <= self.last]


# ---- what a plan counts -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderFacts:
    id: int
    owner_id: int
    amount: Decimal
    cost: Decimal
    lines: tuple[tuple[int, Decimal, Decimal, Decimal], ...] = ()  # product, qty, amount, cost

    def margin_share(self, amount: Decimal) -> Decimal:
        """The part of the order's margin that ``amount`` of its price carries."""
        if self.amount == 0:
            return ZERO
        return amount * (self.amount - self.cost) / self.amount


@dataclass(frozen=True, slots=True)
class Entry:
    """A sale, payment or refund (negative) counted for ``order.owner_id`` on ``day``."""

    source: str  # "sale", "payment" or "refund"
    day: date
    order: OrderFacts
    amount: Decimal
    id: int


@dataclass(slots=True)
class Line:
    """One line of a breakdown: an order's contribution, a tier, a level or a product."""

    plan_id: int
    plan_name: str
    version_id: int
    period: str
    source: str  # sale, payment, refund, tier, level, product
    amount: Decimal  # commission
    rule: str
    order_id: int | None = None
    day: date | None = None
    base: Decimal | None = None
    rate: Decimal | None = None
    threshold: Decimal | None = None
    product_id: int | None = None


@dataclass(slots=True)
class Commission:
    user_id: int
    period: str
    amount: Decimal = ZERO
    lines: list[Line] = field(default_factory=list)


def _rate(value: Decimal) -> str:
    return f"{(value * 100).normalize():f} %"


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class PlanVersion:
    plan_id: int
    plan_name: str
    kind: CommissionKind
    version_id: int
    effective_from: date
    rules: Rules


def _value(entry: Entry, method: Method) -> Decimal:
    if method is Method.PERCENT_OF_MARGIN:
        return entry.order.margin_share(entry.amount)
    return entry.amount


def compute(
    plan: PlanVersion,
    period: Period,
    user_id: int,
    entries: Sequence[Entry],
    department_id: int | None = None,
    *,
    detailed: bool = True,
) -> tuple[Decimal, list[Line]]:
    """One plan's commission for one of its periods, from the entries it counts: the amount
    (rounded to the cent) and its lines (without ``detailed``, none)."""
    rules = plan.rules
    lines: list[Line] = []

    def line(source: str, amount: Decimal, rule: str, **more: Any) -> None:
        if detailed:
            lines.append(Line(plan.plan_id, plan.plan_name, plan.version_id, period.label,
                              source, amount, rule, **more))  # fmt: skip

    ordered = sorted(entries, key=lambda e: (e.day, e.source != "sale", e.order.id, e.id))
    if rules.basis is Basis.PRODUCT:
        total = ZERO
        for entry in ordered:
            total += _product_lines(rules, entry, user_id, department_id, line)
        return _cents(total), lines

    method = rules.method
    base = sum((_value(e, method) for e in ordered), ZERO)
    if rules.basis is Basis.LEVEL:
        name = dict(rules.assignments).get(user_id)
        level = next((lv for lv in rules.levels if lv.name == name), None)
        if level is None:
            return ZERO, lines
        if method is Method.FIXED:
            for e in ordered:
                line(e.source, ZERO, "counted", order_id=e.order.id, day=e.day, base=e.amount)
            line("level", level.value, f"level {level.name}: fixed amount per period")
            return _cents(level.value), lines
        for e in ordered:
            v = _value(e, method)
            line(e.source, v * level.value, f"level {level.name}: {_rate(level.value)}",
                 order_id=e.order.id, day=e.day, base=v, rate=level.value)  # fmt: skip
        return _cents(base * level.value), lines

    tiers = sorted(rules.tiers, key=lambda t: t.threshold)
    if not tiers:
        return ZERO, lines
    reached = [t for t in tiers if base >= t.threshold]
    if base < 0 and method is not Method.FIXED:
        lowest = tiers[0]
        for e in ordered:
            v = _value(e, method)
            line(e.source, v * lowest.value,
                 f"clawback at the lowest tier's {_rate(lowest.value)}", order_id=e.order.id,
                 day=e.day, base=v, rate=lowest.value, threshold=lowest.threshold)  # fmt: skip
        return _cents(base * lowest.value), lines
    if not reached:
        for e in ordered:
            v = _value(e, method)
            line(e.source, ZERO, "below the first tier", order_id=e.order.id, day=e.day, base=v)
        return ZERO, lines
    if rules.tier_mode is TierMode.WHOLE:
        top = reached[-1]
        if method is Method.FIXED:
            for e in ordered:
                line(e.source, ZERO, "counted", order_id=e.order.id, day=e.day, base=e.amount)
            line("tier", top.value, f"tier from {top.threshold}: fixed amount",
                 threshold=top.threshold)  # fmt: skip
            return _cents(top.value), lines
        for e in ordered:
            v = _value(e, method)
            line(e.source, v * top.value,
                 f"tier from {top.threshold}: {_rate(top.value)} of the whole base",
                 order_id=e.order.id, day=e.day, base=v, rate=top.value,
                 threshold=top.threshold)  # fmt: skip
        return _cents(base * top.value), lines
    for e in ordered:
        v = _value(e, method)
        line(e.source, ZERO, "counted in the tiers below", order_id=e.order.id, day=e.day, base=v)
    total = ZERO
    for i, tier in enumerate(reached):
        upper = tiers[i + 1].threshold if i + 1 < len(tiers) else None
        part = (min(base, upper) if upper is not None else base) - tier.threshold
        if method is Method.FIXED:
            amount = tier.value
            rule = f"tier from {tier.threshold}: fixed amount"
        else:
            amount = part * tier.value
            rule = f"tier from {tier.threshold}: {_rate(tier.value)} of the part in it"
        line("tier", amount, rule, base=part, rate=None if method is Method.FIXED else tier.value,
             threshold=tier.threshold)  # fmt: skip
        total += amount
    return _cents(total), lines


def _product_lines(
    rules: Rules, entry: Entry, user_id: int, department_id: int | None, line: Any
) -> Decimal:
    order = entry.order
    if entry.source == "sale":
        share = Decimal(1)
    elif order.amount:
        share = entry.amount / order.amount  # the part of the order's price paid or refunded
    else:
        return ZERO
    earned = ZERO
    for product_id, quantity, amount, cost in order.lines:
        rule = _product_rule(rules, product_id, user_id, department_id)
        if rule is None:
            continue
        if rule.method is Method.FIXED:
            base = quantity * share
            text = f"product {product_id}: {rule.value} per unit"
        elif rule.method is Method.PERCENT_OF_MARGIN:
            base = (amount - cost) * share
            text = f"product {product_id}: {_rate(rule.value)} of the margin"
        else:
            base = amount * share
            text = f"product {product_id}: {_rate(rule.value)} of the amount"
        value = base * rule.value
        line(entry.source, value, text, order_id=order.id, day=entry.day, base=base,
             rate=rule.value, product_id=product_id)  # fmt: skip
        earned += value
    return earned


def _product_rule(
    rules: Rules, product_id: int, user_id: int, department_id: int | None
) -> ProductRule | None:
    candidates = [p for p in rules.products if p.product_id == product_id]
    for fits in (
        lambda p: p.user_id == user_id,
        lambda p: p.user_id is None and p.department_id is not None
        and p.department_id == department_id,
        lambda p: p.user_id is None and p.department_id is None,
    ):  # fmt: skip
        found = [p for p in candidates if fits(p)]
        if found:
            return found[0]
    return None


# ---- reading what plans count -------------------------------------------------------------


def _live() -> list[Any]:
    return [Order.deleted_at.is_(None), visibility.counts_customer(Order.customer_id)]


async def _orders(
    session: AsyncSession, ids: Select[Any], with_cost: bool, with_lines: bool
) -> dict[int, OrderFacts]:
    """The orders whose ids the subquery gives: amount, cost (when asked) and lines."""
    cost: Any = literal(0)
    if with_cost:
        cost = (
            select(func.coalesce(func.sum(OrderLine.quantity * Product.cost, type_=SUMMED), 0))
            .join(Product, Product.id == OrderLine.product_id)
            .where(OrderLine.order_id == Order.id)
            .scalar_subquery()
        )
    lines: dict[int, list[tuple[int, Decimal, Decimal, Decimal]]] = defaultdict(list)
    if with_lines:
        stmt = (
            select(OrderLine.order_id, OrderLine.product_id, OrderLine.quantity,
                   OrderLine.amount, type_coerce(OrderLine.quantity * Product.cost, SUMMED))
            .join(Product, Product.id == OrderLine.product_id)
            .where(OrderLine.order_id.in_(ids))
            .order_by(OrderLine.order_id, OrderLine.position, OrderLine.id)
        )  # fmt: skip
        for order_id, product_id, quantity, amount, line_cost in await session.execute(stmt):
            lines[order_id].append(
                (product_id, Decimal(quantity), Decimal(amount), Decimal(line_cost))
            )
    rows = await session.execute(
        select(Order.id, Order.owner_id, Order.amount, cost).where(Order.id.in_(ids))
    )
    return {
        i: OrderFacts(i, owner, Decimal(amount), Decimal(c or 0), tuple(lines[i]))
        for i, owner, amount, c in rows
    }


async def entries(
    session: AsyncSession,
    owner_ids: Iterable[int],
    first: date,
    last: date,
    counting: Counting,
    timezone: str,
    *,
    with_cost: bool = True,
    with_lines: bool = False,
) -> list[Entry]:
    """Sales (or payments) and refunds of these owners' live orders over [first, last]."""
    owners = sorted(set(owner_ids))
    if not owners:
        return []
    mine = [Order.owner_id.in_(owners), *_live()]
    counted: Any
    if counting is Counting.SIGNED_ORDERS:
        source = "sale"
        counted = select(Order.id, Order.signed_on, Order.id.label("order_id"), Order.amount)
        counted = counted.where(Order.signed_on >= first, Order.signed_on <= last, *mine)
    else:
        source = "payment"
        counted = (
            select(PaymentRecord.id, PaymentRecord.paid_on, PaymentRecord.order_id,
                   PaymentRecord.amount)
            .join(Order, Order.id == PaymentRecord.order_id)
            .where(PaymentRecord.paid_on >= first, PaymentRecord.paid_on <= last, *mine)
        )  # fmt: skip
    start, end = day_bounds(first, last, timezone)
    refunded = (
        select(Refund.id, Refund.refunded_at, Refund.order_id, Refund.amount)
        .join(Order, Order.id == Refund.order_id)
        .where(Refund.refunded_at >= start, Refund.refunded_at < end, *mine)
    )
    ids = union(select(counted.subquery().c.order_id), select(refunded.subquery().c.order_id))
    orders = await _orders(session, select(ids.subquery().c[0]), with_cost, with_lines)
    found = [
        Entry(source, d, orders[o], Decimal(a), i) for i, d, o, a in await session.execute(counted)
    ]
    zone = ZoneInfo(timezone)
    found += [
        Entry("refund", at.astimezone(zone).date(), orders[o], -Decimal(a), i)
        for i, at, o, a in await session.execute(refunded)
    ]
    return found


async def monthly_entries(
    session: AsyncSession,
    owner_ids: Iterable[int],
    first: date,
    last: date,
    counting: Counting,
    timezone: str,
    *,
    with_cost: bool = True,
    with_lines: bool = False,
    products: Iterable[int] | None = None,
) -> list[Entry]:
    """What ``entries`` gives, added up in SQL per owner, month and kind (and product, with
    ``with_lines``, only of ``products`` if given): a plan's amount depends on its period's
    sums only, so totals without a breakdown need a few hundred rows rather than every
    order."""
    owners = sorted(set(owner_ids))
    if not owners:
        return []
    dialect = session.get_bind().dialect.name
    start, end = day_bounds(first, last, timezone)
    mine = [Order.owner_id.in_(owners), *_live()]
    kinds: list[tuple[str, Any, Any, Any, list[Any]]] = []  # source, day, amount, from, where
    if counting is Counting.SIGNED_ORDERS:
        kinds.append(("sale", day_text(Order.signed_on), Order.amount, Order,
                      [Order.signed_on >= first, Order.signed_on <= last]))  # fmt: skip
    else:
        kinds.append(("payment", day_text(PaymentRecord.paid_on), PaymentRecord.amount,
                      PaymentRecord, [PaymentRecord.paid_on >= first,
                                      PaymentRecord.paid_on <= last]))  # fmt: skip
    refund_day = local_day(Refund.refunded_at, timezone, start, end, dialect)
    kinds.append(("refund", refund_day, -Refund.amount, Refund,
                  [Refund.refunded_at >= start, Refund.refunded_at < end]))  # fmt: skip
    found: list[Entry] = []
    for source, day, amount, table, where in kinds:
        month = func.substr(day, 1, 7)
        # The part of the order's price this row is (x ONE: SQLite divides whole numbers as
        # integers; an order of no amount carries no margin); a sale is its whole order,
        # which needs no arithmetic on every line.
        share: Any = None if source == "sale" else amount * ONE / func.nullif(Order.amount, 0)

        def shared(value: Any, share: Any = share) -> Any:
            return value if share is None else value * share

        def grouped(
            stmt: Any, *keys: Any, table: Any = table, where: Any = where, month: Any = month
        ) -> Any:
            if table is not Order:
                stmt = stmt.join(table, table.order_id == Order.id)
            return stmt.where(*mine, *where).group_by(Order.owner_id, month, *keys)

        on_lines = (
            select(OrderLine.quantity).select_from(OrderLine)  # replaced below, for its FROM
            .join(Order, Order.id == OrderLine.order_id)
            .join(Product, Product.id == OrderLine.product_id)
        )  # fmt: skip
        if with_lines:
            stmt = on_lines.with_only_columns(
                Order.owner_id, month, OrderLine.product_id,
                func.sum(shared(OrderLine.quantity), type_=SUMMED),
                func.sum(shared(OrderLine.amount), type_=SUMMED),
                func.sum(shared(OrderLine.quantity * Product.cost), type_=SUMMED),
                maintain_column_froms=True,
            )  # fmt: skip
            if products is not None:  # lines of other products earn nothing
                stmt = stmt.where(OrderLine.product_id.in_(sorted(products)))
            for owner, key, product, quantity, line_amount, line_cost in await session.execute(
                grouped(stmt, OrderLine.product_id)
            ):
                line = (product, _summed(quantity), _summed(line_amount), _summed(line_cost))
                facts = OrderFacts(0, owner, line[2], line[3], (line,))
                found.append(Entry("sale", _month(key), facts, line[2], 0))  # share 1: sums
            continue
        costs: dict[tuple[int, str], Decimal] = {}
        if with_cost:
            # The margin of the rows is their amount less their share of the orders' cost.
            stmt = on_lines.with_only_columns(
                Order.owner_id,
                month,
                func.sum(shared(OrderLine.quantity * Product.cost), type_=SUMMED),
                maintain_column_froms=True,
            ).where(Order.amount != 0)
            costs = {
                (owner, str(key)): _summed(c)
                for owner, key, c in await session.execute(grouped(stmt))
            }
        stmt = select(Order.owner_id, month, func.sum(amount, type_=SUMMED)).select_from(Order)
        for owner, key, total in await session.execute(grouped(stmt)):
            total = _summed(total)
            # An order whose amount and cost give the summed margin.
            facts = OrderFacts(0, owner, total, costs.get((owner, str(key)), ZERO))
            found.append(Entry(source, _month(key), facts, total, 0))
    return found


def _month(key: Any) -> date:
    """The first day of a ``YYYY-MM…`` month."""
    text = str(key)
    return date(int(text[:4]), int(text[5:7]), 1)


def _summed(value: Any) -> Decimal:
    """A sum read back: SQLite adds money as floating point, so its last digits are noise."""
    return Decimal(str(value or 0)).quantize(SUM_PLACES)


async def plan_versions(session: AsyncSession) -> list[PlanVersion]:
    stmt = (
        select(CommissionPlan, CommissionPlanVersion)
        .join(CommissionPlanVersion, CommissionPlanVersion.plan_id == CommissionPlan.id)
        .order_by(CommissionPlan.id, CommissionPlanVersion.effective_from)
    )
    return [
        PlanVersion(p.id, p.name, p.kind, v.id, v.effective_from, Rules.from_json(v.rules))
        for p, v in await session.execute(stmt)
    ]


def in_force(versions: Sequence[PlanVersion], plan_id: int, day: date) -> PlanVersion | None:
    """The plan's version in force on ``day``: the latest that took effect by then."""
    found = None
    for version in versions:
        if version.plan_id == plan_id and version.effective_from <= day:
            found = version
    return found


async def _managed_members(
    session: AsyncSession, manager_ids: Iterable[int]
) -> dict[int, set[int]]:
    """Manager -> the members of the departments they manage and of those below them (one
    statement for every manager)."""
    managers = sorted(set(manager_ids))
    if not managers:
        return {}
    managed = (
        select(Department.manager_id.label("manager_id"), Department.id.label("id"))
        .where(Department.manager_id.in_(managers))
        .cte("managed", recursive=True)
    )
    below = select(managed.c.manager_id, Department.id).join(
        managed, Department.parent_id == managed.c.id
    )
    tree = managed.union(below)
    members: dict[int, set[int]] = {m: set() for m in managers}
    stmt = select(tree.c.manager_id, User.id).join(User, User.department_id == tree.c.id)
    for manager, member in await session.execute(stmt):
        members[manager].add(member)
    return members


async def commissions(
    session: AsyncSession,
    principal: Principal,
    period_text: str,
    user_ids: Iterable[int] | None,
    *,
    detailed: bool = True,
) -> list[Commission]:
    """Commission of each person (the given ones, or everyone in the caller's scope a plan
    pays) for the period, with the breakdown. A person outside the scope is not found."""
    period = Period.parse(period_text)
    settings = await get_settings(session)
    versions = await plan_versions(session)
    wanted: set[int] | None = None
    if user_ids is not None:
        wanted = set(user_ids)
        for user_id in wanted:
            if not principal.can_see_owner(user_id):
                raise NotFound("user", user_id)
    by_plan: dict[int, list[PlanVersion]] = defaultdict(list)
    for version in versions:
        by_plan[version.plan_id].append(version)
    # (plan version, plan period, person) to compute
    jobs: list[tuple[PlanVersion, Period, int]] = []
    for plan_id, plan_history in by_plan.items():
        for kind in PeriodKind:
            try:
                plan_periods = period.split(kind)
            except ValueError:
                continue  # the plan cannot pay for a period this short
            for plan_period in plan_periods:
                in_effect = in_force(plan_history, plan_id, plan_period.first)
                if in_effect is None or in_effect.rules.period is not kind:
                    continue
                for person in sorted(in_effect.rules.people()):
                    if (
                        (person in wanted)
                        if wanted is not None
                        else principal.can_see_owner(person)
                    ):
                        jobs.append((in_effect, plan_period, person))
    managers = {p for v, _, p in jobs if v.kind is CommissionKind.MANAGEMENT}
    members = await _managed_members(session, managers)
    counted: dict[int, set[int]] = {
        p: members.get(p, set()) if v.kind is CommissionKind.MANAGEMENT else {p} for v, _, p in jobs
    }
    departments = dict(
        (await session.execute(select(User.id, User.department_id).where(
            User.id.in_(sorted({p for _, _, p in jobs}))
        ))).all()
    )  # fmt: skip
    results: dict[int, Commission] = {}
    for u in sorted(wanted if wanted is not None else {p for _, _, p in jobs}):
        results[u] = Commission(u, period.label)
    # One read per counting kind over the whole period for everyone it concerns.
    pool: dict[tuple[Counting, bool], list[Entry]] = {}
    for counting in Counting:
        for with_lines in (False, True):
            owners = {
                o for v, _, p in jobs
                if v.rules.counting is counting and (v.rules.basis is Basis.PRODUCT) == with_lines
                for o in counted[p]
            }  # fmt: skip
            margin = any(
                v.rules.method is Method.PERCENT_OF_MARGIN for v, _, _ in jobs
                if v.rules.counting is counting and v.rules.basis is not Basis.PRODUCT
            )  # fmt: skip
            if owners and detailed:
                pool[(counting, with_lines)] = await entries(
                    session, owners, period.first, period.last, counting, settings.timezone,
                    with_cost=margin and not with_lines, with_lines=with_lines,
                )  # fmt: skip
            elif owners:
                ruled = {
                    r.product_id for v, _, _ in jobs
                    if v.rules.counting is counting and v.rules.basis is Basis.PRODUCT
                    for r in v.rules.products
                }  # fmt: skip
                pool[(counting, with_lines)] = await monthly_entries(
                    session, owners, period.first, period.last, counting, settings.timezone,
                    with_cost=margin and not with_lines, with_lines=with_lines, products=ruled,
                )  # fmt: skip
    # Per kind and owner, by day: a plan period's entries are a slice.
    index: dict[tuple[Counting, bool], dict[int, tuple[list[date], list[Entry]]]] = {}
    for key, found in pool.items():
        grouped: dict[int, list[Entry]] = defaultdict(list)
        for entry in found:
            grouped[entry.order.owner_id].append(entry)
        index[key] = {}
        for owner, owned in grouped.items():
            owned.sort(key=lambda e: e.day)
            index[key][owner] = ([e.day for e in owned], owned)
    for version, plan_period, person in jobs:
        key = (version.rules.counting, version.rules.basis is Basis.PRODUCT)
        mine: list[Entry] = []
        for owner in counted[person]:
            days, owned = index.get(key, {}).get(owner, ([], []))
            mine += owned[
                bisect_left(days, plan_period.first) : bisect_right(days, plan_period.last)
            ]
        amount, lines = compute(
            version, plan_period, person, mine, departments.get(person), detailed=detailed
        )
        result = results.setdefault(person, Commission(person, period.label))
        result.amount += amount
        result.lines += lines
    return list(results.values())


async def commission(
    session: AsyncSession, principal: Principal, period: str, user_id: int
) -> Commission:
    [found] = await commissions(session, principal, period, [user_id])
    return found


# ---- plans -----------------------------------------------------------------------------


def _check_rules(rules: Rules, problems: Problems) -> None:
    if rules.basis is Basis.TOTAL:
        if not rules.tiers:
            problems.add("rules.tiers", "A plan by total needs at least one tier.")
        thresholds = [t.threshold for t in rules.tiers]
        if len(set(thresholds)) != len(thresholds):
            problems.add("rules.tiers", "Two tiers have the same threshold.")
        if any(t < 0 for t in thresholds):
            problems.add("rules.tiers", "A threshold cannot be negative.")
        if not rules.member_ids:
            problems.add("rules.memberIds", "Name the people the plan pays.")
    if rules.basis is Basis.LEVEL:
        names = [lv.name for lv in rules.levels]
        if not names:
            problems.add("rules.levels", "A plan by level needs at least one level.")
        if len(set(names)) != len(names):
            problems.add("rules.levels", "Two levels have the same name.")
        if any(n not in names for _, n in rules.assignments):
            problems.add("rules.assignments", "A person is given a level the plan lacks.")
        if not rules.assignments:
            problems.add("rules.assignments", "Give at least one person a level.")
    if rules.basis is Basis.PRODUCT:
        if not rules.products:
            problems.add("rules.products", "A plan by product needs at least one product rule.")
        if rules.counting is Counting.PAYMENTS and any(
            p.method is Method.FIXED for p in rules.products
        ):
            problems.add("rules.products", "Fixed amounts per unit count signed orders only.")
        if not rules.member_ids:
            problems.add("rules.memberIds", "Name the people the plan pays.")
    rates = [t.value for t in rules.tiers] + [lv.value for lv in rules.levels]
    rates += [p.value for p in rules.products]
    if any(r < 0 for r in rates):
        problems.add("rules", "Rates and amounts cannot be negative.")
    percent = rules.method is not Method.FIXED
    fractions = [t.value for t in rules.tiers] + [lv.value for lv in rules.levels]
    if percent and any(v > 1 for v in fractions):
        problems.add("rules", "A rate is a fraction: 0.03 is 3 %.")


async def _check_people(uow: UnitOfWork, rules: Rules, problems: Problems) -> None:
    people = rules.people() | {p.user_id for p in rules.products if p.user_id}
    if people:
        known = set(await uow.session.scalars(select(User.id).where(User.id.in_(people))))
        if people - known:
            problems.add("rules.memberIds", f"No such user: {sorted(people - known)}.")
    products = {p.product_id for p in rules.products}
    if products:
        known = set(await uow.session.scalars(select(Product.id).where(Product.id.in_(products))))
        if products - known:
            problems.add("rules.products", f"No such product: {sorted(products - known)}.")


async def create_plan(
    uow: UnitOfWork, name: str, kind: CommissionKind, effective_from: date, rules: Rules
) -> CommissionPlan:
    problems = Problems()
    name = name.strip()
    if not name:
        problems.add("name", "Give the plan a name.")
    _check_rules(rules, problems)
    await _check_people(uow, rules, problems)
    problems.raise_if_any()
    if await uow.session.scalar(select(CommissionPlan.id).where(CommissionPlan.name == name)):
        raise Conflict("A commission plan with this name exists.", "name")
    plan = CommissionPlan(
        name=name, kind=kind, created_by_id=uow.principal.user_id, created_at=uow.now,
        updated_at=uow.now,
    )  # fmt: skip
    uow.session.add(plan)
    await uow.session.flush()
    await _add_version(uow, plan, effective_from, rules)
    uow.log("commission_plan", plan.id, "create", {"name": [None, name]})
    return plan


async def revise_plan(
    uow: UnitOfWork, plan_id: int, effective_from: date, rules: Rules
) -> CommissionPlan:
    """A new version of the plan, in force from the first of its periods that starts on or
    after ``effective_from``; past and current periods keep the rules they had."""
    plan = await uow.session.get(CommissionPlan, plan_id)
    if plan is None:
        raise NotFound("commission plan", plan_id)
    problems = Problems()
    today = company_today(await get_settings(uow.session), uow.now)
    if effective_from < today:
        problems.add("effectiveFrom", "A new version takes effect today or later.")
    latest = await uow.session.scalar(
        select(func.max(CommissionPlanVersion.effective_from)).where(
            CommissionPlanVersion.plan_id == plan_id
        )
    )
    if latest is not None and effective_from <= latest:
        problems.add("effectiveFrom", f"Must be after the latest version's date ({latest}).")
    _check_rules(rules, problems)
    await _check_people(uow, rules, problems)
    problems.raise_if_any()
    plan.updated_at = uow.now
    await _add_version(uow, plan, effective_from, rules)
    uow.log("commission_plan", plan.id, "revise", {"effectiveFrom": [None, str(effective_from)]})
    return plan


async def _add_version(
    uow: UnitOfWork, plan: CommissionPlan, effective_from: date, rules: Rules
) -> None:
    uow.session.add(
        CommissionPlanVersion(
            plan_id=plan.id, effective_from=effective_from, rules=rules.to_json(),
            created_by_id=uow.principal.user_id, created_at=uow.now,
        )
    )  # fmt: skip
    await uow.session.flush()


async def plans(session: AsyncSession) -> list[CommissionPlan]:
    return list(await session.scalars(select(CommissionPlan).order_by(CommissionPlan.name)))
