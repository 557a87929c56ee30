"""Generated records for the statistics tests, and the figures recomputed from them in
plain Python, independently of the SQL: what each metric should be for a caller."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.principal import Principal
from gql_crm.db.models import (
    Customer,
    CustomerKind,
    Department,
    Expense,
    ExpenseKind,
    ExpenseStatus,
    FollowUp,
    OperationLog,
    Opportunity,
    OpportunityStage,
    OptionItem,
    OptionList,
    Order,
    OrderLine,
    PaymentRecord,
    Pool,
    Product,
    Refund,
    User,
)
from gql_crm.services import statistics_rollup
from gql_crm.services.statistics import DISTINCT, Dimension, Metric

FIRST, LAST = date(2026, 1, 1), date(2026, 6, 30)
CITIES = ["Shanghai", "Beijing", None]


def at(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=UTC)


async def populate(session: AsyncSession, seed: int = 7) -> None:
    """Customers, opportunities, orders with lines, payments, refunds, follow-ups, claims and
    expenses spread over a little more than the tested range, with its edge cases: records
    on either side of a company midnight, refunds in a later quarter than their order,
    deleted orders and customers, orders without a sign date, and a salesperson who moves
    to another department afterwards."""
    rng = random.Random(seed)
    users = {u.login_name: u.id for u in await session.scalars(select(User))}
    people = [users[n] for n in ("admin", "manager1", "sales1", "sales2", "sales3")]
    stage = await session.scalar(select(OpportunityStage.id).limit(1))
    options: dict[OptionList, list[int]] = {}
    for option_list in (
        OptionList.OPPORTUNITY_TYPE,
        OptionList.SOURCE,
        OptionList.PRODUCT_CATEGORY,
    ):
        items = []
        for k in range(2):
            item = OptionItem(list=option_list, label=f"{option_list.value} {k}", sort_order=k)
            session.add(item)
            items.append(item)
        await session.flush()
        options[option_list] = [i.id for i in items]
    now = at(FIRST, 0)
    products = []
    for k in range(4):
        product = Product(
            name=f"P{k}", code=f"P{k}", price=Decimal("10"), cost=Decimal(f"{k + 1}.25"),
            unit="piece", is_active=True, created_at=now, updated_at=now,
            category_id=options[OptionList.PRODUCT_CATEGORY][k % 2],
        )  # fmt: skip
        session.add(product)
        products.append(product)
    await session.flush()

    def moment() -> datetime:
        day = FIRST + timedelta(days=rng.randint(-20, 200))
        # Half of them within a second of a company midnight (UTC 16:00 in Shanghai,
        # 04:00/05:00 in New York), the rest anywhere in the day.
        if rng.random() < 0.5:
            return at(day, rng.choice([15, 16, 3, 4, 5]), rng.choice([0, 59]), rng.choice([0, 59]))
        return at(day, rng.randint(0, 23), rng.randint(0, 59))

    def day() -> date:
        return FIRST + timedelta(days=rng.randint(-20, 200))

    customers = []
    for k in range(60):
        created = moment()
        customer = Customer(
            kind=rng.choice(list(CustomerKind)), name=f"C{k}", owner_id=rng.choice(people),
            pool=Pool.PRIVATE, pool_entered_at=created, created_at=created, updated_at=created,
            created_by_id=rng.choice([*people, None]), city=rng.choice(CITIES),
            source_id=rng.choice(options[OptionList.SOURCE] + [None]),
            deleted_at=created if k % 13 == 0 else None,
        )  # fmt: skip
        session.add(customer)
        customers.append(customer)
    await session.flush()
    opportunities = []
    for k in range(40):
        created = moment()
        opportunity = Opportunity(
            customer_id=rng.choice(customers).id, title=f"O{k}", stage_id=stage,
            type_id=rng.choice(options[OptionList.OPPORTUNITY_TYPE] + [None]),
            amount=Decimal("100"), probability=50, owner_id=rng.choice(people),
            created_at=created, updated_at=created,
        )  # fmt: skip
        session.add(opportunity)
        opportunities.append(opportunity)
    await session.flush()
    for k in range(90):
        created = moment()
        order = Order(
            customer_id=rng.choice(customers).id, title=f"Order {k}",
            amount=Decimal(rng.randint(100, 99999)) / 100, amount_is_explicit=True,
            signed_on=None if k % 11 == 0 else day(), owner_id=rng.choice(people),
            opportunity_id=rng.choice(opportunities).id if k % 3 else None,
            created_at=created, updated_at=created,
            deleted_at=created if k % 17 == 0 else None,
        )  # fmt: skip
        session.add(order)
        await session.flush()
        for position in range(rng.randint(0, 3)):
            quantity = Decimal(rng.randint(1, 900)) / 100
            session.add(
                OrderLine(
                    order_id=order.id, position=position, product_id=rng.choice(products).id,
                    quantity=quantity, unit_price=Decimal("10"), discount=Decimal("0"),
                    amount=(quantity * 10).quantize(Decimal("0.01")),
                )
            )  # fmt: skip
        for sequence in range(rng.randint(0, 2)):
            session.add(
                PaymentRecord(
                    order_id=order.id, sequence=sequence + 1, paid_on=day(),
                    amount=Decimal(rng.randint(1, 5000)) / 100, invoiced=False, created_at=now,
                )
            )  # fmt: skip
        if k % 4 == 0:
            # Often months after the order: a refund counts when it is paid back.
            refunded = moment() + timedelta(days=rng.choice([0, 95]))
            session.add(
                Refund(
                    order_id=order.id, amount=Decimal(rng.randint(1, 3000)) / 100,
                    refunded_at=refunded, reason="r", created_at=refunded,
                )
            )  # fmt: skip
    for k in range(80):
        followed = moment()
        session.add(
            FollowUp(
                customer_id=rng.choice(customers).id, content=f"f{k}", followed_at=followed,
                author_id=rng.choice(people), created_at=followed,
            )
        )  # fmt: skip
    for _ in range(30):
        logged = moment()
        session.add(
            OperationLog(
                actor_id=rng.choice(people), entity_type="customer",
                entity_id=rng.choice(customers).id, action=rng.choice(["claim", "transfer"]),
                changes={}, created_at=logged,
            )
        )  # fmt: skip
    for k in range(40):
        session.add(
            Expense(
                kind=rng.choice(list(ExpenseKind)), amount=Decimal(rng.randint(1, 9999)) / 100,
                occurred_on=day(), description=f"e{k}", owner_id=rng.choice(people),
                status=rng.choice(list(ExpenseStatus)), created_at=now, updated_at=now,
                customer_id=rng.choice(customers).id if k % 2 else None,
            )
        )  # fmt: skip
    # sales2 moves to Sales Dept 2: their figures go with them.
    dept2 = await session.scalar(select(Department.id).where(Department.name == "Sales Dept 2"))
    await session.execute(
        update(User).where(User.id == users["sales2"]).values(department_id=dept2)
    )
    await session.flush()
    # Written as a load writes, past the services: the daily sums are computed afresh.
    await statistics_rollup.rebuild(session)


@dataclass(frozen=True)
class Fact:
    day: date
    user_id: int | None
    value: Decimal
    customer_id: int | None = None
    product_id: int | None = None
    deal_type_id: int | None = None


class Oracle:
    """The figures recomputed from all rows, for one caller and zone."""

    def __init__(self, rows: dict[str, list[Any]], principal: Principal, timezone: str) -> None:
        self.rows = rows
        self.principal = principal
        self.zone = ZoneInfo(timezone)
        self.customers = {c.id: c for c in rows["customers"]}
        self.orders = {o.id: o for o in rows["orders"]}
        self.opportunity_types = {o.id: o.type_id for o in rows["opportunities"]}
        self.products = {p.id: p for p in rows["products"]}
        self.departments = {u.id: u.department_id for u in rows["users"]}

    @classmethod
    async def load(cls, session: AsyncSession, principal: Principal, timezone: str) -> Oracle:
        models = {
            "customers": Customer, "orders": Order, "lines": OrderLine, "products": Product,
            "payments": PaymentRecord, "refunds": Refund, "follow_ups": FollowUp,
            "log": OperationLog, "expenses": Expense, "opportunities": Opportunity,
            "users": User,
        }  # fmt: skip
        rows = {name: list(await session.scalars(select(m))) for name, m in models.items()}
        return cls(rows, principal, timezone)

    def local(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def in_scope(self, user_id: int | None) -> bool:
        return (
            self.principal.visible_owner_ids is None or user_id in self.principal.visible_owner_ids
        )

    def live_customer(self, customer_id: int) -> bool:
        return self.customers[customer_id].deleted_at is None

    def live_order(self, order: Order) -> bool:
        return order.deleted_at is None and self.live_customer(order.customer_id)

    def deal_type(self, order: Order) -> int | None:
        return self.opportunity_types.get(order.opportunity_id) if order.opportunity_id else None

    def facts(self, metric: Metric) -> list[Fact]:
        r = self.rows
        out: list[Fact] = []
        if metric is Metric.NEW_CUSTOMERS:
            out = [Fact(self.local(c.created_at), c.created_by_id, Decimal(1), c.id)
                   for c in r["customers"] if c.deleted_at is None]  # fmt: skip
        elif metric is Metric.CUSTOMERS_CLAIMED:
            out = [Fact(self.local(e.created_at), e.actor_id, Decimal(1), e.entity_id)
                   for e in r["log"] if e.action == "claim"]  # fmt: skip
        elif metric is Metric.FOLLOW_UPS:
            out = [Fact(self.local(f.followed_at), f.author_id, Decimal(1), f.customer_id)
                   for f in r["follow_ups"] if self.live_customer(f.customer_id)]  # fmt: skip
        elif metric in (Metric.INTENT_CUSTOMERS, Metric.INTENT_PRODUCTS):
            # One fact per product on the opportunity's live orders (signed or not), one
            # without a product when there is none: counts are of distinct customers, so
            # only the product dimensions see the difference.
            named: dict[int, set[int]] = defaultdict(set)
            for line in r["lines"]:
                o = self.orders[line.order_id]
                if o.deleted_at is None and o.opportunity_id is not None:
                    named[o.opportunity_id].add(line.product_id)
            for p in r["opportunities"]:
                if self.live_customer(p.customer_id):
                    products: list[int | None] = [*sorted(named[p.id])] or [None]
                    for product in products:
                        if metric is Metric.INTENT_CUSTOMERS:
                            value = Decimal(p.customer_id)
                        elif product is None:  # names no product
                            continue
                        else:
                            value = Decimal(product)
                        out.append(Fact(self.local(p.created_at), p.owner_id, value,
                                        p.customer_id, product, p.type_id))  # fmt: skip
        elif metric in (Metric.DEAL_TOTAL, Metric.PROFIT, Metric.PAYMENTS_RECEIVED, Metric.REFUNDS):
            for o in r["orders"]:
                if not self.live_order(o) or o.signed_on is None:
                    continue
                value = o.amount
                if metric is Metric.PROFIT:
                    lines = [x for x in r["lines"] if x.order_id == o.id]
                    cost = [x.quantity * self.products[x.product_id].cost for x in lines]
                    value -= sum(cost, Decimal(0))
                if metric in (Metric.DEAL_TOTAL, Metric.PROFIT):
                    out.append(
                        Fact(o.signed_on, o.owner_id, value, o.customer_id, None, self.deal_type(o))
                    )
            if metric is Metric.PAYMENTS_RECEIVED:
                for p in r["payments"]:
                    o = self.orders[p.order_id]
                    if self.live_order(o):
                        out.append(
                            Fact(
                                p.paid_on,
                                o.owner_id,
                                p.amount,
                                o.customer_id,
                                None,
                                self.deal_type(o),
                            )
                        )
            sign = 1 if metric is Metric.REFUNDS else -1
            for f in r["refunds"]:
                o = self.orders[f.order_id]
                if self.live_order(o):
                    out.append(Fact(self.local(f.refunded_at), o.owner_id, f.amount * sign,
                                    o.customer_id, None, self.deal_type(o)))  # fmt: skip
        elif metric in (Metric.QUANTITY, Metric.PRODUCT_SALES, Metric.PRODUCT_CUSTOMERS):
            for line in r["lines"]:
                o = self.orders[line.order_id]
                if not self.live_order(o) or o.signed_on is None:
                    continue
                value = {Metric.QUANTITY: line.quantity, Metric.PRODUCT_SALES: line.amount,
                         Metric.PRODUCT_CUSTOMERS: Decimal(o.customer_id)}[metric]  # fmt: skip
                out.append(Fact(o.signed_on, o.owner_id, value, o.customer_id, line.product_id,
                                self.deal_type(o)))  # fmt: skip
        else:
            kind = ExpenseKind.INCOME if metric is Metric.INCOME else ExpenseKind.EXPENSE
            out = [Fact(e.occurred_on, e.owner_id, e.amount, e.customer_id)
                   for e in r["expenses"]
                   if e.kind == kind and e.status != ExpenseStatus.REJECTED]  # fmt: skip
        return [f for f in out if self.in_scope(f.user_id)]

    def key(self, fact: Fact, dimension: Dimension) -> str:
        value: Any
        if dimension is Dimension.DAY:
            value = fact.day.isoformat()
        elif dimension is Dimension.MONTH:
            value = fact.day.isoformat()[:7]
        elif dimension is Dimension.YEAR:
            value = str(fact.day.year)
        elif dimension is Dimension.USER:
            value = fact.user_id
        elif dimension is Dimension.DEPARTMENT:
            value = self.departments.get(fact.user_id) if fact.user_id else None
        elif dimension is Dimension.PRODUCT:
            value = fact.product_id
        elif dimension is Dimension.PRODUCT_CATEGORY:
            value = self.products[fact.product_id].category_id if fact.product_id else None
        elif dimension is Dimension.DEAL_TYPE:
            value = fact.deal_type_id
        else:
            customer = self.customers.get(fact.customer_id) if fact.customer_id else None
            attribute = {Dimension.CUSTOMER_SOURCE: "source_id", Dimension.CITY: "city",
                         Dimension.CUSTOMER_KIND: "kind"}[dimension]  # fmt: skip
            value = getattr(customer, attribute) if customer else None
        return "" if value is None else str(value)

    def figures(
        self, metric: Metric, dimension: Dimension, first: date, last: date,
        deal_type_id: int | None = None,
    ) -> tuple[dict[str, Decimal], Decimal]:  # fmt: skip
        """Key -> value (only keys with facts) and the total."""
        facts = [f for f in self.facts(metric) if first <= f.day <= last]
        if deal_type_id is not None and metric not in (
            Metric.NEW_CUSTOMERS, Metric.CUSTOMERS_CLAIMED, Metric.FOLLOW_UPS,
            Metric.INCOME, Metric.EXPENSE,
        ):  # fmt: skip
            facts = [f for f in facts if f.deal_type_id == deal_type_id]
        groups: dict[str, list[Fact]] = defaultdict(list)
        for f in facts:
            groups[self.key(f, dimension)].append(f)
        if metric in DISTINCT:
            return (
                {k: Decimal(len({f.value for f in fs})) for k, fs in groups.items()},
                Decimal(len({f.value for f in facts})),
            )
        sums = {k: sum((f.value for f in fs), Decimal(0)) for k, fs in groups.items()}
        return sums, sum(sums.values(), Decimal(0))
