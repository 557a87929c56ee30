"""Statistics: metrics over a range of company days, grouped by time, person, department,
product or customer attribute, within the caller's data scope, computed in SQL.

A metric is a set of *facts*: rows with the company day they happened on, the person they
count for, a value and what they are about (customer, product, deal type). A report groups
one metric's facts by one dimension; every report is a table shaped for a chart (keys and
labels along one axis, one series of values per metric, each with its unit), which is also
what an export writes.

What counts (each fact stated once, here):
- customers (the customer breakdown): live customers the caller may see;
- new customers: live customers by creation time, for who entered them;
- customers claimed: claims from the pools, for the claimer;
- follow-ups: by the time of the follow-up, for its author, on live customers;
- intent customers: distinct customers with an opportunity created in the range, for the
  opportunity's owner; by product or product category, the products the opportunity names
  are those on the lines of its live orders, signed or not (a draft order already says what
  the customer wants): a customer counts once under each such product or category, and
  under none when the opportunity has no such line;
- intent products: distinct products so named by those opportunities (a product counts once
  in a group however many customers name it);
- deal total: amounts of live orders by sign date (orders without one are not deals yet),
  less refunds on the day they are paid back, for the order's owner;
- profit: the same, with each order's cost (line quantity x product cost) taken off;
- quantity, product sales, product customers: the lines of those signed orders (before
  refunds, which belong to an order, not to a product);
- payments received: payments by date received, less refunds on the day paid back;
- refunds; income and expense: records not rejected, by the date they occurred.
A department's figures are its members' as the members stand now.

The sums among the order metrics (deal total, profit, quantity, product sales, payments
received, refunds) are read from sums kept with every write (``statistics_rollup``), with
the rules above; product costs are applied as they stand when the report is made, and a
refund's moment turned into its company day then too.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
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
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.auth.principal import Principal
from gql_crm.db import grouping, visibility
from gql_crm.db.local_time import day_bounds, day_text, local_day
from gql_crm.db.models import (
    Customer,
    Department,
    Expense,
    ExpenseKind,
    ExpenseStatus,
    FollowUp,
    MaturityOption,
    OperationLog,
    Opportunity,
    OptionItem,
    Order,
    OrderLine,
    PaymentRecord,
    Product,
    Refund,
    User,
)
from gql_crm.db.models.statistics import (
    BuyerPeriod,
    IntentProduct,
    OrderDay,
    ProductDay,
    RefundSum,
    Span,
)
from gql_crm.db.scopes import department_subtree
from gql_crm.services.setting import get_settings

STATISTICS_VIEW = basic(Module.STATISTICS, Action.VIEW)
NONE_KEY = ""
NONE_LABEL = "(none)"
MAX_BUCKETS = 1000


class Metric(enum.StrEnum):
    CUSTOMERS = "customers"
    NEW_CUSTOMERS = "new_customers"
    CUSTOMERS_CLAIMED = "customers_claimed"
    FOLLOW_UPS = "follow_ups"
    INTENT_CUSTOMERS = "intent_customers"
    INTENT_PRODUCTS = "intent_products"
    DEAL_TOTAL = "deal_total"
    PROFIT = "profit"
    QUANTITY = "quantity"
    PRODUCT_SALES = "product_sales"
    PRODUCT_CUSTOMERS = "product_customers"
    PAYMENTS_RECEIVED = "payments_received"
    REFUNDS = "refunds"
    INCOME = "income"
    EXPENSE = "expense"


class Unit(enum.StrEnum):
    COUNT = "count"
    MONEY = "money"
    QUANTITY = "quantity"


class Dimension(enum.StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    USER = "user"
    DEPARTMENT = "department"
    PRODUCT = "product"
    PRODUCT_CATEGORY = "product_category"
    DEAL_TYPE = "deal_type"
    CUSTOMER_KIND = "customer_kind"
    CUSTOMER_CATEGORY = "customer_category"
    CUSTOMER_SOURCE = "customer_source"
    CUSTOMER_STATUS = "customer_status"
    CUSTOMER_INDUSTRY = "customer_industry"
    CUSTOMER_MATURITY = "customer_maturity"
    CITY = "city"


TIME = (Dimension.DAY, Dimension.MONTH, Dimension.YEAR)
PEOPLE = (Dimension.USER, Dimension.DEPARTMENT)
PRODUCTS = (Dimension.PRODUCT, Dimension.PRODUCT_CATEGORY)
LINE_METRICS = (Metric.QUANTITY, Metric.PRODUCT_SALES, Metric.PRODUCT_CUSTOMERS)
# Counted from the opportunities and the products their orders name: read together.
INTENT = (Metric.INTENT_CUSTOMERS, Metric.INTENT_PRODUCTS)
# What breaks down by product or product category: the order lines' metrics and intent.
PRODUCT_METRICS = (*LINE_METRICS, *INTENT)
DISTINCT = (*INTENT, Metric.PRODUCT_CUSTOMERS)
UNITS = {
    **{m: Unit.COUNT for m in Metric},
    **{
        m: Unit.MONEY
        for m in (
            Metric.DEAL_TOTAL,
            Metric.PROFIT,
            Metric.PRODUCT_SALES,
            Metric.PAYMENTS_RECEIVED,
            Metric.REFUNDS,
            Metric.INCOME,
            Metric.EXPENSE,
        )
    },
    Metric.QUANTITY: Unit.QUANTITY,
}
COMBINED = (
    Metric.NEW_CUSTOMERS,
    Metric.CUSTOMERS_CLAIMED,
    Metric.DEAL_TOTAL,
    Metric.QUANTITY,
    Metric.PROFIT,
)
# The product report of the manual (000 §8.3): per product, the customers who want it, the
# units sold and the sales amount.
PRODUCT_REPORT = (Metric.INTENT_CUSTOMERS, Metric.QUANTITY, Metric.PRODUCT_SALES)
CUSTOMER_ATTRIBUTES = (
    Dimension.CUSTOMER_KIND,
    Dimension.CUSTOMER_CATEGORY,
    Dimension.CUSTOMER_SOURCE,
    Dimension.CUSTOMER_STATUS,
    Dimension.CUSTOMER_INDUSTRY,
    Dimension.CUSTOMER_MATURITY,
    Dimension.CITY,
)


@dataclass(frozen=True, slots=True)
class Filters:
    """Optional narrowing: one person, a department with the departments below it, and one
    deal type (opportunity type), which narrows the deal metrics only."""

    user_id: int | None = None
    department_id: int | None = None
    deal_type_id: int | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """Company days ``first`` to ``last`` inclusive, and the UTC instants bounding them."""

    first: date
    last: date
    timezone: str
    dialect: str
    start: datetime
    end: datetime

    @classmethod
    def of(cls, first: date, last: date, timezone: str, dialect: str) -> Window:
        return cls(first, last, timezone, dialect, *day_bounds(first, last, timezone))

    def at(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.start, column < self.end)

    def on(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.first, column <= self.last)

    def local(self, column: Any) -> ColumnElement[str]:
        return local_day(column, self.timezone, self.start, self.end, self.dialect)


def periods(first: date, last: date, coarsest: Span) -> list[tuple[Span, date, date]]:
    """Days ``first`` to ``last`` as runs of whole periods, each ``(span, first day of its
    first period, first day of its last period)``: whole periods of ``coarsest`` where they
    fit, whole months between, days at the edges."""
    if coarsest is Span.DAY:
        return [(Span.DAY, first, last)]
    finer = Span.MONTH if coarsest is Span.YEAR else Span.DAY

    def start(day: date) -> date:
        return day.replace(month=1, day=1) if coarsest is Span.YEAR else day.replace(day=1)

    def following(day: date) -> date:  # the first day of the next period
        if coarsest is Span.YEAR:
            return date(day.year + 1, 1, 1)
        return (day.replace(day=1) + timedelta(days=31)).replace(day=1)

    whole_from = first if start(first) == first else following(first)
    whole_until = following(last) if following(last) - timedelta(days=1) == last else start(last)
    if whole_from >= whole_until:
        return periods(first, last, finer)
    before = periods(first, whole_from - timedelta(days=1), finer) if first < whole_from else []
    after = periods(whole_until, last, finer) if whole_until <= last else []
    return [*before, (coarsest, whole_from, start(whole_until - timedelta(days=1))), *after]


class ReportProblem(ValueError):
    """The report cannot be made as asked (a dimension a metric has no data for, a range too
    long for its granularity); the message says which, ``field`` which argument."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(slots=True)
class Series:
    metric: Metric
    unit: Unit
    values: list[Decimal]
    total: Decimal


@dataclass(slots=True)
class Report:
    """A table for a chart: ``keys``/``labels`` along one axis, one series per metric."""

    dimension: Dimension
    first: date | None
    last: date | None
    timezone: str
    keys: list[str]
    labels: list[str]
    series: list[Series]
    ranks: list[int] | None = None
    tied: list[bool] | None = None
    deal_type_id: int | None = field(default=None)


# ---- facts ----------------------------------------------------------------------------------

_KEY_COLUMNS = ("day", "user_id", "product_id", "deal_type_id")
_ORDER_METRICS = (
    Metric.DEAL_TOTAL,
    Metric.PROFIT,
    Metric.QUANTITY,
    Metric.PRODUCT_SALES,
    Metric.PRODUCT_CUSTOMERS,
    Metric.PAYMENTS_RECEIVED,
    Metric.REFUNDS,
)


def _fact(
    day: Any,
    user_id: Any,
    values: Sequence[Any],
    product_id: Any = None,
    deal_type_id: Any = None,
) -> Select[Any]:
    """A fact row: its keys, then one value column per metric read together (``v0``...);
    ``_Facts._customer`` adds the customer's attribute last."""

    def typed(column: Any, kind: Any) -> Any:
        return cast(null(), kind) if column is None else column

    keys = (
        typed(day, String()),
        user_id,
        typed(product_id, Integer()),
        typed(deal_type_id, Integer()),
    )
    # Values are read as exact decimals, with no conversion in SQL (it costs on every row).
    return select(
        *(c.label(name) for c, name in zip(keys, _KEY_COLUMNS, strict=True)),
        *(type_coerce(v, Numeric(18, 4)).label(f"v{i}") for i, v in enumerate(values)),
    )


def source(metric: Metric, dimension: Dimension) -> str:
    """Where a metric's facts come from: the metrics of one source are read by one statement,
    one value column each, so a report of several metrics reads each table once. Order
    metrics read the daily sums (``statistics_rollup``), buyers the buyers by period, except by
    a customer attribute, which those do not keep."""
    if metric in INTENT:
        return "intent"
    if metric not in _ORDER_METRICS:
        return metric.value
    if dimension in CUSTOMER_ATTRIBUTES:
        return "orders"
    return "buyers" if metric is Metric.PRODUCT_CUSTOMERS else "sums"


# The daily sums' count of the facts behind each metric read from ``OrderDay``: a row
# counts for a metric when it has some (a group is listed when it has facts).
_DAY_FACTS = {
    Metric.DEAL_TOTAL: OrderDay.signed_orders,
    Metric.PROFIT: OrderDay.signed_orders,
    Metric.QUANTITY: OrderDay.lines,
    Metric.PAYMENTS_RECEIVED: OrderDay.payments,
}


# The customer attributes reports group by.
_CUSTOMER_COLUMNS = {
    Dimension.CUSTOMER_KIND: Customer.kind,
    Dimension.CUSTOMER_CATEGORY: Customer.category_id,
    Dimension.CUSTOMER_SOURCE: Customer.source_id,
    Dimension.CUSTOMER_STATUS: Customer.status_id,
    Dimension.CUSTOMER_INDUSTRY: Customer.industry_id,
    Dimension.CUSTOMER_MATURITY: Customer.maturity_id,
    Dimension.CITY: Customer.city,
}


class _Facts:
    """The facts of the metrics for one caller, range, filters and grouping."""

    def __init__(
        self, principal: Principal, window: Window, filters: Filters, dimension: Dimension
    ) -> None:
        self.principal = principal
        self.window = window
        self.filters = filters
        self.dimension = dimension
        # An order's deal type is its opportunity's: joined only where something reads it.
        self.deal_types = filters.deal_type_id is not None or dimension is Dimension.DEAL_TYPE

    def _person(self, column: Any) -> list[ColumnElement[bool]]:
        where = [visibility.counted_for(self.principal, column)]
        if self.filters.user_id is not None:
            where.append(column == self.filters.user_id)
        if self.filters.department_id is not None:
            roots = select(Department.id).where(Department.id == self.filters.department_id)
            where.append(
                column.in_(select(User.id).where(User.department_id.in_(department_subtree(roots))))
            )
        return where

    def _deal(self) -> list[ColumnElement[bool]]:
        if self.filters.deal_type_id is None:
            return []
        return [Opportunity.type_id == self.filters.deal_type_id]

    def _day(self, column: Any) -> Any:
        """The company day of a DATE column, read only when the report is along time."""
        return day_text(column) if self.dimension in TIME else None

    def _local(self, column: Any) -> Any:
        """The company day of a timestamp, read only when the report is along time (the
        conversion costs on every row)."""
        return self.window.local(column) if self.dimension in TIME else None

    def _deal_type(self) -> Any:
        return Opportunity.type_id if self.deal_types else None

    def _customer(self, stmt: Select[Any], column: Any, *, live: bool) -> Select[Any]:
        """The record's customer: when ``live``, the condition that the record counts (its
        customer is not deleted); and, as the last column ``attribute``, the customer's
        attribute the report groups by (NULL for other reports). By an attribute, one join
        to the customers does both."""
        attribute = _CUSTOMER_COLUMNS.get(self.dimension)
        if attribute is None:
            stmt = stmt.add_columns(cast(null(), Integer()).label("attribute"))
            return stmt.where(visibility.counts_customer(column)) if live else stmt
        stmt = stmt.add_columns(attribute.label("attribute"))
        if column is Customer.id:
            return stmt
        if live:
            return stmt.join(Customer, and_(Customer.id == column, Customer.deleted_at.is_(None)))
        return stmt.outerjoin(Customer, Customer.id == column)

    def _orders(self, stmt: Select[Any]) -> Select[Any]:
        """Live orders of live customers, counted for their owner."""
        if self.deal_types:
            stmt = stmt.outerjoin(Opportunity, Opportunity.id == Order.opportunity_id)
        return self._customer(stmt, Order.customer_id, live=True).where(
            Order.deleted_at.is_(None),
            *self._person(Order.owner_id),
            *self._deal(),
        )

    def _signed(self, values: Sequence[Any]) -> Select[Any]:
        """Orders signed in the range (orders without a sign date are not deals yet)."""
        stmt = _fact(
            self._day(Order.signed_on), Order.owner_id, values,
            deal_type_id=self._deal_type(),
        ).select_from(Order)  # fmt: skip
        return self._orders(stmt).where(self.window.on(Order.signed_on))

    def _lines(self, values: Sequence[Any], costed: bool) -> Select[Any]:
        """The lines of those orders (with their product's cost when ``costed``)."""
        stmt = _fact(
            self._day(Order.signed_on), Order.owner_id, values, OrderLine.product_id,
            self._deal_type(),
        ).select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)  # fmt: skip
        if costed:
            stmt = stmt.join(Product, Product.id == OrderLine.product_id)
        return self._orders(stmt).where(self.window.on(Order.signed_on))

    def _payments(self, values: Sequence[Any]) -> Select[Any]:
        stmt = _fact(
            self._day(PaymentRecord.paid_on), Order.owner_id, values,
            deal_type_id=self._deal_type(),
        ).select_from(PaymentRecord).join(Order, Order.id == PaymentRecord.order_id)  # fmt: skip
        return self._orders(stmt).where(self.window.on(PaymentRecord.paid_on))

    def _refunds(self, values: Sequence[Any]) -> Select[Any]:
        w = self.window
        stmt = _fact(
            self._local(Refund.refunded_at), Order.owner_id, values,
            deal_type_id=self._deal_type(),
        ).select_from(Refund).join(Order, Order.id == Refund.order_id)  # fmt: skip
        return self._orders(stmt).where(w.at(Refund.refunded_at))

    def _summed(
        self,
        model: Any,
        values: Sequence[Any],
        counted: Sequence[Any],
        costed: bool = False,
        in_range: ColumnElement[bool] | None = None,
    ) -> Select[Any]:
        """Rows of the sums ``model`` (``OrderDay``, ``ProductDay``, ``BuyerPeriod``,
        ``RefundSum``) as facts: those with facts of the metrics read (``counted``), in the
        range (or ``in_range``), for people counted."""
        product = model.product_id if model in (ProductDay, BuyerPeriod) else None
        deal_type = func.nullif(model.deal_type_id, 0) if self.deal_types else None
        if model is RefundSum:
            day, in_range = self._local(model.refunded_at), self.window.at(model.refunded_at)
        else:
            day = self._day(model.day)
            in_range = self.window.on(model.day) if in_range is None else in_range
        stmt = _fact(day, model.owner_id, values, product, deal_type)
        stmt = stmt.select_from(model)
        if costed:
            stmt = stmt.join(Product, Product.id == model.product_id)
        where = [
            or_(*(column > 0 for column in dict.fromkeys(counted))),
            in_range,
            *self._person(model.owner_id),
        ]
        if self.filters.deal_type_id is not None:
            where.append(model.deal_type_id == self.filters.deal_type_id)
        return stmt.add_columns(cast(null(), Integer()).label("attribute")).where(*where)

    def _expenses(self, kind: ExpenseKind) -> Select[Any]:
        stmt = _fact(self._day(Expense.occurred_on), Expense.owner_id, [Expense.amount])
        stmt = self._customer(stmt.select_from(Expense), Expense.customer_id, live=False)
        return stmt.where(
            Expense.kind == kind,
            Expense.status != ExpenseStatus.REJECTED,
            self.window.on(Expense.occurred_on),
            *self._person(Expense.owner_id),
        )

    def _intent(self, metrics: Sequence[Metric]) -> Select[Any]:
        """Opportunities created in the range, each with every product its live orders name
        (the intent facts ``statistics_rollup`` keeps; product NULL where they name none)."""
        facts = IntentProduct
        named = func.nullif(facts.product_id, 0)
        values = {Metric.INTENT_CUSTOMERS: facts.customer_id, Metric.INTENT_PRODUCTS: named}
        stmt = _fact(
            self._local(facts.created_at), facts.owner_id, [values[m] for m in metrics],
            named if self.dimension in PRODUCTS else None, self._deal_type(),
        ).select_from(facts)  # fmt: skip
        if self.deal_types:
            stmt = stmt.join(Opportunity, Opportunity.id == facts.opportunity_id)
        return self._customer(stmt, facts.customer_id, live=True).where(
            self.window.at(facts.created_at),
            *self._person(facts.owner_id),
            *self._deal(),
        )

    @staticmethod
    def _order_values(metric: Metric) -> dict[str, Any]:
        """An order metric's value in each part of the orders' facts it has facts in."""
        refunded = -Refund.amount
        values: dict[Metric, dict[str, Any]] = {
            Metric.DEAL_TOTAL: {"signed": Order.amount, "refunds": refunded},
            # An order's cost is its lines' quantity x product cost, taken off line by line.
            Metric.PROFIT: {
                "signed": Order.amount,
                "lines": -(OrderLine.quantity * Product.cost),
                "refunds": refunded,
            },
            Metric.QUANTITY: {"lines": OrderLine.quantity},
            Metric.PRODUCT_SALES: {"lines": OrderLine.amount},
            Metric.PRODUCT_CUSTOMERS: {"lines": Order.customer_id},
            Metric.PAYMENTS_RECEIVED: {"payments": PaymentRecord.amount, "refunds": refunded},
            Metric.REFUNDS: {"refunds": Refund.amount},
        }
        return values[metric]

    def _summed_values(self, metric: Metric, metrics: Sequence[Metric]) -> dict[str, Any]:
        """An order metric's value in each part of the sums' facts."""
        refunded = -RefundSum.amount
        # Quantities by product come from the products' sums; with other metrics read there,
        # so do the others (one part fewer).
        by_product = self.dimension in PRODUCTS or any(
            m in (Metric.PROFIT, Metric.PRODUCT_SALES) for m in metrics
        )
        values: dict[Metric, dict[str, Any]] = {
            Metric.DEAL_TOTAL: {"days": OrderDay.signed_amount, "refunds": refunded},
            Metric.PROFIT: {
                "days": OrderDay.signed_amount,
                "products": -(ProductDay.quantity * Product.cost),
                "refunds": refunded,
            },
            Metric.QUANTITY: (
                {"products": ProductDay.quantity} if by_product else {"days": OrderDay.quantity}
            ),
            Metric.PRODUCT_SALES: {"products": ProductDay.amount},
            Metric.PAYMENTS_RECEIVED: {"days": OrderDay.received, "refunds": refunded},
            Metric.REFUNDS: {"refunds": RefundSum.amount},
        }
        return values[metric]

    def _summed_parts(self, metrics: Sequence[Metric]) -> list[Select[Any]]:
        nothing = [cast(null(), Numeric(18, 4)) for _ in metrics]
        parts: dict[str, list[Any]] = {}
        counted: list[Any] = []
        for i, m in enumerate(metrics):
            for part, value in self._summed_values(m, metrics).items():
                parts.setdefault(part, list(nothing))[i] = value
                if part == "days":
                    counted.append(_DAY_FACTS[m])
        costed = Metric.PROFIT in metrics
        build = {
            "days": lambda values: self._summed(OrderDay, values, counted),
            "products": lambda values: self._summed(ProductDay, values, [ProductDay.lines], costed),
            "refunds": lambda values: self._summed(RefundSum, values, [RefundSum.refunds]),
        }
        return [build[part](values) for part, values in parts.items()]

    def of(self, metrics: Sequence[Metric]) -> list[Select[Any]]:
        """The facts of metrics of one source, column ``v<i>`` the value of ``metrics[i]``."""
        w = self.window
        [metric, *others] = metrics
        if source(metric, self.dimension) == "sums":
            return self._summed_parts(metrics)
        if source(metric, self.dimension) == "buyers":
            buyers = BuyerPeriod
            # Whole months and years read their own rows, unless the report is by day or
            # month.
            coarsest = {Dimension.DAY: Span.DAY, Dimension.MONTH: Span.MONTH}
            runs = periods(w.first, w.last, coarsest.get(self.dimension, Span.YEAR))
            return [
                self._summed(
                    buyers,
                    [buyers.customer_id],
                    [buyers.lines],
                    in_range=and_(buyers.span == span, buyers.day.between(first, last)),
                )
                for span, first, last in runs
            ]
        if metric in INTENT:
            return [self._intent(metrics)]
        if metric in _ORDER_METRICS:
            # A metric without facts in a part has NULL there, of its values' type (a union
            # needs one type per column): customer ids for the distinct counts, else amounts.
            nothing = [
                cast(null(), Integer() if m in DISTINCT else Numeric(18, 4)) for m in metrics
            ]
            parts: dict[str, list[Any]] = {}
            for i, m in enumerate(metrics):
                for part, value in self._order_values(m).items():
                    parts.setdefault(part, list(nothing))[i] = value
            costed = Metric.PROFIT in metrics
            build = {
                "signed": self._signed,
                "lines": lambda values: self._lines(values, costed),
                "payments": self._payments,
                "refunds": self._refunds,
            }
            return [build[part](values) for part, values in parts.items()]
        assert not others, "a source of one metric"
        if metric is Metric.NEW_CUSTOMERS:
            stmt = _fact(self._local(Customer.created_at), Customer.created_by_id, [literal(1)])
            stmt = self._customer(stmt.select_from(Customer), Customer.id, live=False)
            return [
                stmt.where(
                    Customer.deleted_at.is_(None),
                    w.at(Customer.created_at),
                    *self._person(Customer.created_by_id),
                )
            ]
        if metric is Metric.CUSTOMERS_CLAIMED:
            log = OperationLog
            stmt = _fact(self._local(log.created_at), log.actor_id, [literal(1)])
            stmt = self._customer(stmt.select_from(log), log.entity_id, live=False)
            return [
                stmt.where(
                    log.entity_type == "customer",
                    log.action == "claim",
                    w.at(log.created_at),
                    *self._person(log.actor_id),
                )
            ]
        if metric is Metric.FOLLOW_UPS:
            stmt = _fact(self._local(FollowUp.followed_at), FollowUp.author_id, [literal(1)])
            stmt = self._customer(stmt.select_from(FollowUp), FollowUp.customer_id, live=True)
            return [
                stmt.where(
                    w.at(FollowUp.followed_at),
                    *self._person(FollowUp.author_id),
                )
            ]
        if metric is Metric.INCOME:
            return [self._expenses(ExpenseKind.INCOME)]
        return [self._expenses(ExpenseKind.EXPENSE)]


# ---- grouping -------------------------------------------------------------------------------


def _grouped(
    facts: Sequence[Select[Any]], metrics: Sequence[Metric], dimension: Dimension, dialect: str
) -> Select[Any] | CompoundSelect[Any]:
    """``(key, is_total, value of each metric)`` per group of the facts (key None for facts
    without one); with a count of distinct customers among the metrics, one more row with
    ``is_total`` 1: the values over all the facts, in the same statement (a customer counts
    once there however many groups they fall in)."""
    union = facts[0] if len(facts) == 1 else union_all(*facts)
    distinct = any(m in DISTINCT for m in metrics)
    sub: Any = (
        union.cte("facts")
        if distinct and not grouping.one_pass(dialect)
        else union.subquery("facts")
    )
    values: list[Any] = [
        func.count(sub.c[f"v{i}"].distinct())
        if metric in DISTINCT
        else func.coalesce(func.sum(sub.c[f"v{i}"]), 0)
        for i, metric in enumerate(metrics)
    ]
    key: Any
    grouped_from: Any = sub
    if dimension in TIME:
        key = sub.c.day if dimension is Dimension.DAY else func.substr(sub.c.day, 1, 7)
        if dimension is Dimension.YEAR:
            key = func.substr(sub.c.day, 1, 4)
    elif dimension is Dimension.USER:
        key = sub.c.user_id
    elif dimension is Dimension.DEPARTMENT:
        key = User.department_id
        grouped_from = sub.outerjoin(User, User.id == sub.c.user_id)
    elif dimension is Dimension.PRODUCT:
        key = sub.c.product_id
    elif dimension is Dimension.PRODUCT_CATEGORY:
        key = Product.category_id
        grouped_from = sub.outerjoin(Product, Product.id == sub.c.product_id)
    elif dimension is Dimension.DEAL_TYPE:
        key = sub.c.deal_type_id
    else:  # a customer attribute, which the facts carry
        key = sub.c.attribute
    if distinct:
        return grouping.with_total(key, values, grouped_from, sub, dialect)
    return select(key, literal(0), *values).select_from(grouped_from).group_by(key)


def _key(value: Any) -> str:
    return NONE_KEY if value is None else str(value)


def _number(value: Any, unit: Unit) -> Decimal:
    """Counts as whole numbers; amounts exact (a cost is quantity x unit cost, so up to four
    decimal places), shown with at least two: rows then add up to the total exactly."""
    number = Decimal(value or 0)
    if unit is Unit.COUNT:
        return number.quantize(Decimal(1))
    number = number.quantize(Decimal("0.0001"))
    for places in ("0.01", "0.001"):
        if number == number.quantize(Decimal(places)):
            return number.quantize(Decimal(places))
    return number


def buckets(dimension: Dimension, first: date, last: date) -> list[str]:
    """Every day, month or year from ``first`` to ``last``: the keys of a time series."""
    keys: list[str] = []
    if dimension is Dimension.DAY:
        day = first
        while day <= last:
            keys.append(day.isoformat())
            day += timedelta(days=1)
    elif dimension is Dimension.MONTH:
        year, month = first.year, first.month
        while (year, month) <= (last.year, last.month):
            keys.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    else:
        keys = [f"{year:04d}" for year in range(first.year, last.year + 1)]
    return keys


def check(metrics: Sequence[Metric], dimension: Dimension, first: date, last: date) -> None:
    """Refuse a report that cannot be made, saying why."""
    if last < first:
        raise ReportProblem("'to' must not be before 'from'.", "to")
    if not metrics:
        raise ReportProblem("Choose at least one metric.", "metrics")
    if Metric.CUSTOMERS in metrics:
        raise ReportProblem("'customers' is the customer breakdown's own metric.", "metrics")
    if dimension is Dimension.DAY and (last - first).days >= MAX_BUCKETS:
        raise ReportProblem(f"A daily series covers at most {MAX_BUCKETS} days.", "to")
    if dimension in PRODUCTS:
        unfit = [m.value for m in metrics if m not in PRODUCT_METRICS]
        if unfit:
            raise ReportProblem(
                f"Only product and intent metrics break down by product; not: {', '.join(unfit)}.",
                "by",
            )


def check_leaderboard(dimension: Dimension) -> None:
    if dimension not in PEOPLE:
        raise ReportProblem("A leaderboard ranks people or departments.", "by")


def check_profile(dimension: Dimension, first: date | None, last: date | None) -> None:
    if dimension not in CUSTOMER_ATTRIBUTES:
        raise ReportProblem("Customers break down by a customer attribute.", "by")
    if (first is None) != (last is None):
        raise ReportProblem("Give both 'from' and 'to', or neither.", "from")
    if first is not None and last is not None and last < first:
        raise ReportProblem("'to' must not be before 'from'.", "to")


async def _listed(
    session: AsyncSession, principal: Principal, filters: Filters, dimension: Dimension
) -> dict[str, str]:
    """Everyone a person-by-person report lists, with or without figures, with their label:
    the people in the caller's scope (active, not deleted, not service accounts), as
    narrowed by the filters; by department, the departments they belong to."""
    stmt: Any = select(User.id, User.name).where(
        User.deleted_at.is_(None),
        User.is_active.is_(True),
        User.is_service_account.is_(False),
        visibility.counted_for(principal, User.id),
    )
    if filters.user_id is not None:
        stmt = stmt.where(User.id == filters.user_id)
    if filters.department_id is not None:
        roots = select(Department.id).where(Department.id == filters.department_id)
        stmt = stmt.where(User.department_id.in_(department_subtree(roots)))
    if dimension is Dimension.DEPARTMENT:
        stmt = (
            stmt.with_only_columns(User.department_id, Department.name)
            .outerjoin(Department, Department.id == User.department_id)
            .distinct()
        )
    return {
        _key(key): NONE_LABEL if key is None else str(label)
        for key, label in await session.execute(stmt)
    }


async def _labels(
    session: AsyncSession, dimension: Dimension, keys: Iterable[str]
) -> dict[str, str]:
    """Key -> what a reader calls it (a name, a label; the key itself for days and cities)."""
    ids = [int(k) for k in keys if k and k.lstrip("-").isdigit()]
    stmt: Any = None
    if dimension is Dimension.USER:
        stmt = select(User.id, User.name).where(User.id.in_(ids))
    elif dimension is Dimension.DEPARTMENT:
        stmt = select(Department.id, Department.name).where(Department.id.in_(ids))
    elif dimension is Dimension.PRODUCT:
        stmt = select(Product.id, Product.name).where(Product.id.in_(ids))
    elif dimension is Dimension.CUSTOMER_MATURITY:
        stmt = select(MaturityOption.id, MaturityOption.label).where(MaturityOption.id.in_(ids))
    elif dimension in (
        Dimension.PRODUCT_CATEGORY,
        Dimension.DEAL_TYPE,
        Dimension.CUSTOMER_CATEGORY,
        Dimension.CUSTOMER_SOURCE,
        Dimension.CUSTOMER_STATUS,
        Dimension.CUSTOMER_INDUSTRY,
    ):
        stmt = select(OptionItem.id, OptionItem.label).where(OptionItem.id.in_(ids))
    found = (
        {str(k): str(v) for k, v in (await session.execute(stmt)).all()}
        if stmt is not None and ids
        else {}
    )
    return {k: found.get(k, k) if k else NONE_LABEL for k in keys}


def _fill_order(dimension: Dimension, keys: set[str], labels: dict[str, str]) -> list[str]:
    if dimension in TIME:
        return sorted(keys)
    numeric = dimension not in (Dimension.CITY, Dimension.CUSTOMER_KIND)
    return sorted(
        keys,
        key=lambda k: (k == NONE_KEY, labels.get(k, k), int(k) if numeric and k else 0, k),
    )


async def report(
    session: AsyncSession,
    principal: Principal,
    metrics: Sequence[Metric],
    dimension: Dimension,
    first: date,
    last: date,
    filters: Filters = Filters(),
) -> Report:
    """The metrics over [first, last] (company days) grouped by ``dimension``: time series
    list every bucket, person reports everyone in scope, each with zeros where nothing
    happened; other dimensions list the groups that have figures."""
    check(metrics, dimension, first, last)
    timezone = (await get_settings(session)).timezone
    window = Window.of(first, last, timezone, session.get_bind().dialect.name)
    facts = _Facts(principal, window, filters, dimension)
    sources: dict[str, list[Metric]] = {}
    for metric in dict.fromkeys(metrics):
        sources.setdefault(source(metric, dimension), []).append(metric)
    found: dict[Metric, dict[str, Decimal]] = {}
    totals: dict[Metric, Decimal] = {}
    for read in sources.values():
        sums: dict[Metric, dict[str, Decimal]] = {m: {} for m in read}
        rows = await session.execute(_grouped(facts.of(read), read, dimension, window.dialect))
        for key, is_total, *values in rows:
            for metric, value in zip(read, values, strict=True):
                if is_total:
                    totals[metric] = _number(value, UNITS[metric])
                else:
                    sums[metric][_key(key)] = sums[metric].get(_key(key), Decimal(0)) + Decimal(
                        value or 0
                    )
        for metric in read:
            found[metric] = {k: _number(v, UNITS[metric]) for k, v in sums[metric].items()}
            if metric not in DISTINCT:
                totals[metric] = _number(sum(sums[metric].values(), Decimal(0)), UNITS[metric])
    grouped = [found[m] for m in metrics]
    keys: set[str] = set().union(*grouped)
    if dimension in TIME:
        keys |= set(buckets(dimension, first, last))
    listed: dict[str, str] = {}
    if dimension in PEOPLE:
        listed = await _listed(session, principal, filters, dimension)
        keys |= set(listed)
    labels = {**await _labels(session, dimension, keys - set(listed)), **listed}
    ordered = _fill_order(dimension, keys, labels)
    return Report(
        dimension=dimension,
        first=first,
        last=last,
        timezone=timezone,
        keys=ordered,
        labels=[labels[k] for k in ordered],
        series=[
            Series(
                metric=metric,
                unit=UNITS[metric],
                values=[values.get(k, _number(0, UNITS[metric])) for k in ordered],
                total=totals[metric],
            )
            for metric, values in zip(metrics, grouped, strict=True)
        ],
        deal_type_id=filters.deal_type_id,
    )


def ranked(report: Report) -> Report:
    """The report as a leaderboard on its first series: highest first, equal values sharing
    a rank (1, 2, 2, 4) and marked as tied; equal values are listed by label."""
    values = report.series[0].values
    order = sorted(range(len(values)), key=lambda i: (-values[i], report.labels[i], i))
    ranks: list[int] = []
    for position, i in enumerate(order):
        same = position > 0 and values[i] == values[order[position - 1]]
        ranks.append(ranks[-1] if same else position + 1)
    counts: dict[Decimal, int] = {}
    for i in order:
        counts[values[i]] = counts.get(values[i], 0) + 1
    report.keys = [report.keys[i] for i in order]
    report.labels = [report.labels[i] for i in order]
    for series in report.series:
        series.values = [series.values[i] for i in order]
    report.ranks = ranks
    report.tied = [counts[values[i]] > 1 for i in order]
    return report


async def leaderboard(
    session: AsyncSession,
    principal: Principal,
    metric: Metric,
    dimension: Dimension,
    first: date,
    last: date,
    filters: Filters = Filters(),
) -> Report:
    check_leaderboard(dimension)
    return ranked(await report(session, principal, [metric], dimension, first, last, filters))


async def customer_profile(
    session: AsyncSession,
    principal: Principal,
    dimension: Dimension,
    first: date | None = None,
    last: date | None = None,
) -> Report:
    """Customers the caller may see, by one attribute (kind, city, status, maturity...): all
    of them, or with a range those created in it."""
    check_profile(dimension, first, last)
    timezone = (await get_settings(session)).timezone
    key = _CUSTOMER_COLUMNS[dimension]
    stmt = select(key, func.count()).where(visibility.customer(principal)).group_by(key)
    if first is not None and last is not None:
        stmt = stmt.where(Customer.created_at >= day_bounds(first, last, timezone)[0])
        stmt = stmt.where(Customer.created_at < day_bounds(first, last, timezone)[1])
    values: dict[str, Decimal] = {}
    for k, n in (await session.execute(stmt)).all():
        values[_key(k)] = values.get(_key(k), Decimal(0)) + Decimal(n)
    labels = await _labels(session, dimension, values)
    ordered = _fill_order(dimension, set(values), labels)
    counts = [values[k] for k in ordered]
    return Report(
        dimension=dimension,
        first=first,
        last=last,
        timezone=timezone,
        keys=ordered,
        labels=[labels[k] for k in ordered],
        series=[Series(Metric.CUSTOMERS, Unit.COUNT, counts, sum(counts, Decimal(0)))],
    )


# ---- the reports, as a caller asks for them -----------------------------------------------


class ReportKind(enum.StrEnum):
    STATISTICS = "statistics"
    LEADERBOARD = "leaderboard"
    COMBINED = "combined"
    PRODUCTS = "products"
    CUSTOMERS = "customers"


# The reports whose metrics are their own, not the caller's.
FIXED_METRICS = {ReportKind.COMBINED: COMBINED, ReportKind.PRODUCTS: PRODUCT_REPORT}


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """One report with the arguments its query takes: what the query runs and what an export
    stores (``stored``) and runs again as its owner."""

    kind: ReportKind
    dimension: Dimension
    first: date | None = None
    last: date | None = None
    metrics: tuple[Metric, ...] = ()  # statistics: any; leaderboard: one; others: none
    filters: Filters = Filters()

    def metrics_shown(self) -> tuple[Metric, ...]:
        """The report's series, in order."""
        if self.kind is ReportKind.CUSTOMERS:
            return (Metric.CUSTOMERS,)
        return FIXED_METRICS.get(self.kind, self.metrics)

    def check(self) -> None:
        """Refuse, before anything runs, what the report's query would refuse."""
        if self.kind is ReportKind.CUSTOMERS:
            if self.metrics:
                raise ReportProblem("The customer breakdown counts customers only.", "metrics")
            if self.filters != Filters():
                raise ReportProblem("The customer breakdown takes no filter.", "filter")
            check_profile(self.dimension, self.first, self.last)
            return
        if self.first is None or self.last is None:
            raise ReportProblem("Give 'from' and 'to'.", "from" if self.first is None else "to")
        if self.kind in FIXED_METRICS and self.metrics:
            raise ReportProblem(f"The {self.kind} report's metrics are its own.", "metrics")
        if self.kind is ReportKind.LEADERBOARD:
            if len(self.metrics) != 1:
                raise ReportProblem("A leaderboard ranks on exactly one metric.", "metrics")
            check_leaderboard(self.dimension)
        check(self.metrics_shown(), self.dimension, self.first, self.last)

    async def run(self, session: AsyncSession, principal: Principal) -> Report:
        self.check()
        if self.kind is ReportKind.CUSTOMERS:
            return await customer_profile(session, principal, self.dimension, self.first, self.last)
        assert self.first is not None and self.last is not None  # check() says so
        if self.kind is ReportKind.LEADERBOARD:
            return await leaderboard(
                session, principal, self.metrics[0], self.dimension, self.first, self.last,
                self.filters,
            )  # fmt: skip
        return await report(
            session, principal, self.metrics_shown(), self.dimension, self.first, self.last,
            self.filters,
        )  # fmt: skip

    def stored(self) -> dict[str, Any]:
        """As JSON (a job's parameters)."""
        return {
            "report": self.kind.value,
            "by": self.dimension.value,
            "from": self.first.isoformat() if self.first else None,
            "to": self.last.isoformat() if self.last else None,
            "metrics": [m.value for m in self.metrics],
            "filter": {
                "userId": self.filters.user_id,
                "departmentId": self.filters.department_id,
                "dealTypeId": self.filters.deal_type_id,
            },
        }

    @classmethod
    def from_stored(cls, values: dict[str, Any]) -> ReportRequest:
        narrowing = values.get("filter") or {}
        return cls(
            kind=ReportKind(values["report"]),
            dimension=Dimension(values["by"]),
            first=date.fromisoformat(values["from"]) if values.get("from") else None,
            last=date.fromisoformat(values["to"]) if values.get("to") else None,
            metrics=tuple(Metric(m) for m in values.get("metrics") or ()),
            filters=Filters(
                narrowing.get("userId"), narrowing.get("departmentId"), narrowing.get("dealTypeId")
            ),
        )
