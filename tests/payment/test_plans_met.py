"""Whether a payment plan is met is stored with the plan: after any sequence of writes to an
order's plans and payments (and refunds, and the order's trips through the recycle bin),
the stored flags are what the rule gives from the rows themselves."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from gql_crm.auth.principal import Principal
from gql_crm.db.models import Order, PaymentPlan, PaymentRecord, User
from gql_crm.services import order as order_service
from gql_crm.services import payment as payment_service
from gql_crm.services.errors import DomainError
from gql_crm.services.unit_of_work import Services, UnitOfWork
from tests.conftest import START
from tests.fixtures.factories import add_order, make_customer
from tests.fixtures.statements import count_statements
from tests.fixtures.users import principal

CENT = Decimal("0.01")
FIRST_DUE = date(2026, 3, 1)


def expected_flags(plans: list[PaymentPlan], payments: list[PaymentRecord]) -> dict[int, bool]:
    """The rule, from the rows: payments are applied to an order's plans in due order (due
    day, then id), so a plan is met once the order's payments cover it and every plan due
    before it."""
    received: dict[int, Decimal] = defaultdict(Decimal)
    for record in payments:
        received[record.order_id] += record.amount
    flags: dict[int, bool] = {}
    covered: dict[int, Decimal] = defaultdict(Decimal)
    for plan in sorted(plans, key=lambda p: (p.order_id, p.due_on, p.id)):
        covered[plan.order_id] += plan.amount
        flags[plan.id] = received[plan.order_id] >= covered[plan.order_id]
    return flags


async def _stored_and_expected(
    services: Services,
) -> tuple[dict[int, bool], dict[int, bool]]:
    async with services.database.reader() as session:
        plans = list(await session.scalars(select(PaymentPlan)))
        payments = list(await session.scalars(select(PaymentRecord)))
    return {plan.id: plan.met for plan in plans}, expected_flags(plans, payments)


async def _stored_and_expected_days(
    services: Services,
) -> tuple[dict[int, date | None], dict[int, date | None]]:
    """Each order's stored first unmet due day, and the day its plans' rule gives."""
    async with services.database.reader() as session:
        orders = list(await session.scalars(select(Order)))
        plans = list(await session.scalars(select(PaymentPlan)))
        payments = list(await session.scalars(select(PaymentRecord)))
    met = expected_flags(plans, payments)
    expected = {
        order.id: min(
            (p.due_on for p in plans if p.order_id == order.id and not met[p.id]), default=None
        )
        for order in orders
    }
    return {order.id: order.unmet_due_on for order in orders}, expected


def _amount(rng: random.Random, most: Decimal) -> Decimal:
    """A positive amount up to ``most``: often a few cents (sums that binary floating point
    gets wrong), sometimes all of it."""
    if most < CENT:
        return CENT
    choice = rng.random()
    if choice < 0.4:
        return min(most, Decimal(rng.choice(["0.10", "0.20", "0.30", "0.07"])))
    if choice < 0.6:
        return most
    return max(CENT, (most * Decimal(rng.random())).quantize(CENT))


class Run:
    """Random writes through the services, as sales1 on three orders of theirs."""

    def __init__(
        self, services: Services, me: Principal, admin: Principal, orders: list[int], seed: int
    ) -> None:
        self.services = services
        self.me = me
        self.admin = admin  # sales staff may not delete orders
        self.orders = orders
        self.rng = random.Random(seed)
        self.binned: set[int] = set()

    async def write(
        self, action: Callable[[UnitOfWork], Awaitable[object]], by: Principal | None = None
    ) -> bool:
        try:
            async with UnitOfWork(self.services, by or self.me) as uow:
                await action(uow)
        except DomainError:
            return False  # refused (over the order amount, below the refunds...)
        return True

    async def rows(self) -> tuple[list[PaymentPlan], list[PaymentRecord]]:
        async with self.services.database.reader() as session:
            plans = list(await session.scalars(select(PaymentPlan)))
            payments = list(await session.scalars(select(PaymentRecord)))
        return plans, payments

    async def step(self) -> str | None:
        """One random write; its kind if it went through."""
        rng = self.rng
        plans, payments = await self.rows()
        order = rng.choice(self.orders)
        kind = rng.choice(["plan", "plan", "unplan", "pay", "pay", "correct", "unpay", "refund"])
        action: Callable[[UnitOfWork], Awaitable[object]]
        if self.binned and rng.random() < 0.5:  # back from the recycle bin soon
            binned = self.binned.pop()
            kind, action = "restore", lambda uow: order_service.restore_order(uow, binned)
        elif rng.random() < 0.05:
            self.binned.add(order)
            kind, action = "bin", lambda uow: order_service.delete_order(uow, order)
        elif kind == "plan":
            due = FIRST_DUE + timedelta(days=rng.randrange(4))  # same days: ties by id
            amount = _amount(rng, Decimal("40.00"))
            action = lambda uow: payment_service.add_payment_plan(uow, order, due, amount)  # noqa: E731
        elif kind == "unplan" and plans:
            plan = rng.choice(plans).id
            action = lambda uow: payment_service.delete_payment_plan(uow, plan)  # noqa: E731
        elif kind == "pay":
            paid = {"amount": _amount(rng, Decimal("60.00")), "paid_on": FIRST_DUE}
            action = lambda uow: payment_service.record_payment(uow, order, paid)  # noqa: E731
        elif kind == "correct" and payments:
            record = rng.choice(payments)
            fields = {"amount": _amount(rng, Decimal("60.00")), "paid_on": record.paid_on}
            mine = [p.id for p in plans if p.order_id == record.order_id]
            if mine and rng.random() < 0.5:
                fields["plan_id"] = rng.choice(mine)
            action = lambda uow: payment_service.update_payment(uow, record.id, fields)  # noqa: E731
        elif kind == "unpay" and payments:
            record_id = rng.choice(payments).id
            action = lambda uow: payment_service.delete_payment(uow, record_id)  # noqa: E731
        elif kind == "refund":
            amount = _amount(rng, Decimal("30.00"))
            action = lambda uow: payment_service.record_refund(uow, order, amount, "returned")  # noqa: E731
        else:
            return None
        by = self.admin if kind in ("bin", "restore") else self.me
        return kind if await self.write(action, by) else None


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_stored_flags_follow_every_write(services: Services, seed: int) -> None:
    customer = await make_customer(services, "sales1", f"Flags {seed}")
    async with services.database.writer() as session, session.begin():
        owner = await session.scalar(select(User.id).where(User.login_name == "sales1"))
        assert owner is not None
        orders = [
            (await add_order(session, customer, owner, f"o{j}", amount="100.00")).id
            for j in range(3)
        ]
    me, admin = await principal(services, "sales1"), await principal(services, "admin")
    run = Run(services, me, admin, orders, seed)
    kinds: set[str | None] = set()
    flags_seen: set[bool] = set()
    days_seen: set[date | None] = set()
    for number in range(80):
        kinds.add(await run.step())
        stored, expected = await _stored_and_expected(services)
        assert stored == expected, (seed, number)
        flags_seen |= set(stored.values())
        stored_days, expected_days = await _stored_and_expected_days(services)
        assert stored_days == expected_days, (seed, number)
        days_seen |= set(stored_days.values())
    # The run went through every kind of write, with plans met and open along the way.
    assert kinds >= {"plan", "unplan", "pay", "correct", "unpay", "refund", "bin", "restore"}
    assert flags_seen == {True, False}
    assert None in days_seen and len(days_seen) > 2  # orders paid up, and open since a day


async def test_a_write_costs_the_same_statements_whatever_the_number_of_plans(
    services: Services,
) -> None:
    customer = await make_customer(services, "sales1", "Instalments")
    async with services.database.writer() as session, session.begin():
        owner = await session.scalar(select(User.id).where(User.login_name == "sales1"))
        assert owner is not None
        few = (await add_order(session, customer, owner, "few", amount="1000.00")).id
        many = (await add_order(session, customer, owner, "many", amount="1000.00")).id
    me = await principal(services, "sales1")
    for order, plans in ((few, 1), (many, 20)):
        async with UnitOfWork(services, me) as uow:
            for k in range(plans):
                due = FIRST_DUE + timedelta(days=k)
                await payment_service.add_payment_plan(uow, order, due, Decimal("10.00"))
    counts = []
    for order in (few, many):
        async with count_statements(services) as counted, UnitOfWork(services, me) as uow:
            paid = {"amount": Decimal("10.00"), "paid_on": START.date()}
            await payment_service.record_payment(uow, order, paid)
        counts.append(len(counted))
    assert counts[0] == counts[1]
    stored, expected = await _stored_and_expected(services)
    assert stored == expected
    assert sorted(stored.values()).count(True) == 2  # the first plan of each order


async def test_cents_add_up_exactly(services: Services) -> None:
    """0.10 + 0.20 is 0.30 (SQLite adds money as binary floating point, where it is not)."""
    customer = await make_customer(services, "sales1", "Cents")
    async with services.database.writer() as session, session.begin():
        owner = await session.scalar(select(User.id).where(User.login_name == "sales1"))
        assert owner is not None
        order = (await add_order(session, customer, owner, "cents", amount="1.00")).id
    async with UnitOfWork(services, await principal(services, "sales1")) as uow:
        plans = [
            await payment_service.add_payment_plan(
                uow, order, FIRST_DUE + timedelta(days=k), Decimal(amount)
            )
            for k, amount in enumerate(("0.10", "0.20", "0.70"))
        ]
        assert [plan.met for plan in plans] == [False, False, False]
        paid = {"amount": Decimal("0.30"), "paid_on": FIRST_DUE}
        await payment_service.record_payment(uow, order, paid)
        # The plans the unit of work holds (what a mutation answers with) follow too.
        assert [plan.met for plan in plans] == [True, True, False]
    stored, expected = await _stored_and_expected(services)
    assert [stored[plan] for plan in sorted(stored)] == [True, True, False]
    assert stored == expected
