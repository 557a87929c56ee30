"""Reports and commission cost a fixed number of statements, however many people, records
and plans: the same on a handful of rows as on the generated data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from gql_crm.db.models import User
from gql_crm.db.models.commission import CommissionKind, CommissionPlan, CommissionPlanVersion
from gql_crm.services.commission import Basis, Counting, PeriodKind, Rules, Tier
from gql_crm.services.unit_of_work import Services
from tests.fixtures.statements import counted_data
from tests.graphql_client import GraphQLClient
from tests.statistics.world import populate

REPORTS = """{ combinedStatistics(by: DEPARTMENT, from: "2026-01-01", to: "2026-06-30") {
  labels series { values } }
  statisticsLeaderboard(metric: FOLLOW_UPS, by: USER, from: "2026-01-01", to: "2026-06-30") {
  labels ranks } }"""
COMMISSIONS = """{ commissions(period: "2026") { amount user { name } }
  commission(period: "2026-Q1", userId: 1) { amount lines { orderId } } }"""


async def _plans(services: Services, users: list[int]) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    async with services.database.writer() as session, session.begin():
        for k, (kind, counting) in enumerate(
            [(CommissionKind.SALES, Counting.SIGNED_ORDERS),
             (CommissionKind.MANAGEMENT, Counting.PAYMENTS)]
        ):  # fmt: skip
            tiers = (Tier(Decimal(0), Decimal("0.01")),)
            rules = Rules(
                Basis.TOTAL, PeriodKind.QUARTER, counting=counting, member_ids=tuple(users),
                tiers=tiers,
            )  # fmt: skip
            plan = CommissionPlan(name=f"P{k}-{len(users)}", kind=kind, created_at=now,
                                  updated_at=now)  # fmt: skip
            session.add(plan)
            await session.flush()
            session.add(CommissionPlanVersion(plan_id=plan.id, effective_from=date(2025, 1, 1),
                                              rules=rules.to_json(), created_at=now))  # fmt: skip


async def test_statement_counts_do_not_grow(services: Services, admin: GraphQLClient) -> None:
    async with services.database.reader() as session:
        everyone = list(await session.scalars(select(User.id).order_by(User.id)))
    await _plans(services, everyone[:1])
    _, few = await counted_data(admin, services, REPORTS)
    _, few_paid = await counted_data(admin, services, COMMISSIONS)
    async with services.database.writer() as session, session.begin():
        await populate(session)
    await _plans(services, everyone)
    data, many = await counted_data(admin, services, REPORTS)
    assert len(data["combinedStatistics"]["labels"]) > 1
    paid, many_paid = await counted_data(admin, services, COMMISSIONS)
    assert len(paid["commissions"]) == len(everyone)
    assert len(many) == len(few)
    assert len(many_paid) == len(few_paid)
    many.assert_at_most(20)
    many_paid.assert_at_most(20)
