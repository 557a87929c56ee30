"""Totals without a breakdown (sums per month in SQL) equal the detailed computation (every
order, payment and refund read) for plans of every basis, counting and period, on the
generated statistics data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from gql_crm.db.models import Department, OrderLine, Pool, Product, User
from gql_crm.db.models.commission import CommissionKind, CommissionPlan, CommissionPlanVersion
from gql_crm.services import commission as service
from gql_crm.services.commission import Basis, Counting, Method, PeriodKind, Tier, TierMode
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import add_customer, add_order, make_product
from tests.fixtures.users import principal, user_id
from tests.statistics.world import populate

D = Decimal


@pytest.mark.parametrize("period", ["2026", "2026-03"])
@pytest.mark.parametrize("plan_index", range(6))
async def test_totals_equal_the_detailed_computation(
    services: Services, period: str, plan_index: int
) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    async with services.database.writer() as session, session.begin():
        await populate(session)
        people = tuple(await session.scalars(select(User.id).order_by(User.id)))
        products = list(await session.scalars(select(Product.id).order_by(Product.id)))
        department = await session.scalar(select(Department.id).limit(1))
        tiers = (Tier(D(0), D("0.01")), Tier(D(2000), D("0.035")), Tier(D(5000), D("0.05")))
        plans = [
            (CommissionKind.SALES, service.Rules(Basis.TOTAL, PeriodKind.MONTH,
             member_ids=people, tiers=tiers, tier_mode=TierMode.MARGINAL)),
            (CommissionKind.SALES, service.Rules(Basis.TOTAL, PeriodKind.QUARTER,
             counting=Counting.PAYMENTS, method=Method.PERCENT_OF_MARGIN, member_ids=people,
             tiers=tiers)),
            (CommissionKind.MANAGEMENT, service.Rules(Basis.TOTAL, PeriodKind.YEAR,
             member_ids=people[:2], method=Method.FIXED,
             tiers=(Tier(D(0), D(100)), Tier(D(3000), D(500))))),
            (CommissionKind.SALES, service.Rules(Basis.LEVEL, PeriodKind.QUARTER,
             levels=(service.Level("one", D("0.02")),),
             assignments=tuple((p, "one") for p in people))),
            (CommissionKind.SALES, service.Rules(Basis.PRODUCT, PeriodKind.MONTH,
             counting=Counting.PAYMENTS, member_ids=people, products=(
                 service.ProductRule(products[0], Method.PERCENT_OF_SALES, D("0.1")),
                 service.ProductRule(products[1], Method.PERCENT_OF_MARGIN, D("0.2")),
                 service.ProductRule(products[2], Method.PERCENT_OF_SALES, D("0.3"),
                                     department_id=department)))),
            (CommissionKind.SALES, service.Rules(Basis.PRODUCT, PeriodKind.QUARTER,
             member_ids=people, products=(
                 service.ProductRule(products[3], Method.FIXED, D("1.5")),
                 service.ProductRule(products[0], Method.PERCENT_OF_MARGIN, D("0.25"))))),
        ]  # fmt: skip
        for k, (kind, rules) in enumerate(plans[plan_index : plan_index + 1]):
            plan = CommissionPlan(name=f"Plan {k}", kind=kind, created_at=now, updated_at=now)
            session.add(plan)
            await session.flush()
            session.add(CommissionPlanVersion(plan_id=plan.id, effective_from=date(2025, 1, 1),
                                              rules=rules.to_json(), created_at=now))  # fmt: skip
    admin = await principal(services, "admin")
    async with services.database.reader() as session:
        detailed = await service.commissions(session, admin, period, None)
        totals = await service.commissions(session, admin, period, None, detailed=False)
    assert {c.user_id: c.amount for c in totals} == {c.user_id: c.amount for c in detailed}
    assert any(c.amount != 0 for c in detailed) or period == "2026-03"
    assert all(c.lines == [] for c in totals)


async def test_a_gift_order_of_no_amount_pays_its_units_in_totals_too(services: Services) -> None:
    """An order of amount 0 (a gift) has no margin to share, but a plan paying a fixed
    amount per unit sold pays its units, with or without the breakdown."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    product_id = await make_product(services, "GIFT", price="0.00")
    sales1 = await user_id(services, "sales1")
    async with services.database.writer() as session, session.begin():
        customer = await add_customer(session, "Gift Co", sales1, Pool.PRIVATE)
        order = await add_order(session, customer.id, sales1, "Gift", amount="0.00",
                                signed_on=date(2026, 3, 5))  # fmt: skip
        session.add(OrderLine(order_id=order.id, position=0, product_id=product_id,
                              quantity=D(3), unit_price=D(0), discount=D(0),
                              amount=D(0)))  # fmt: skip
        per_unit = service.ProductRule(product_id, Method.FIXED, D("1.5"))
        rules = service.Rules(Basis.PRODUCT, PeriodKind.YEAR, member_ids=(sales1,),
                              products=(per_unit,))  # fmt: skip
        plan = CommissionPlan(name="Units", kind=CommissionKind.SALES, created_at=now,
                              updated_at=now)  # fmt: skip
        session.add(plan)
        await session.flush()
        session.add(CommissionPlanVersion(plan_id=plan.id, effective_from=date(2025, 1, 1),
                                          rules=rules.to_json(), created_at=now))  # fmt: skip
    admin = await principal(services, "admin")
    async with services.database.reader() as session:
        [detailed] = await service.commissions(session, admin, "2026", [sales1])
        [totals] = await service.commissions(session, admin, "2026", [sales1], detailed=False)
    assert detailed.amount == totals.amount == D("4.50")
