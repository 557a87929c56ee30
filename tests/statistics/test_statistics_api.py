"""Statistics through the API, as a manager would try them: this month's leaderboard with
ties, the department's combined figures and a daily series of payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from gql_crm.db.models import Pool
from gql_crm.services.unit_of_work import Services
from tests.conftest import START
from tests.fixtures.factories import add_customer, add_order, payment
from tests.fixtures.users import user_ids
from tests.graphql_client import GraphQLClient

REPORT = "dimension keys labels ranks tied series { metric unit values total }"
LEADERBOARD = f"""query($metric: StatisticsMetric!, $by: StatisticsDimension!) {{
  statisticsLeaderboard(metric: $metric, by: $by, from: "2026-03-01", to: "2026-03-31") {{
  {REPORT} }} }}"""
COMBINED = f"""{{ combinedStatistics(by: USER, from: "2026-03-01", to: "2026-03-31") {{
  {REPORT} }} }}"""
DAILY = f"""{{ statistics(metrics: [PAYMENTS_RECEIVED], by: DAY, from: "2026-03-01",
  to: "2026-03-05") {{ {REPORT} }} }}"""


async def _sales(services: Services) -> None:
    """sales1 and sales2 sign 300.00 each on 2 March, sales3 (another department) 500.00;
    sales1 is paid 120.50 on 3 March."""
    users = await user_ids(services)
    async with services.database.writer() as session, session.begin():
        for login, amount in (("sales1", "300.00"), ("sales2", "300.00"), ("sales3", "500.00")):
            customer = await add_customer(session, f"{login} Co", users[login], Pool.PRIVATE)
            order = await add_order(
                session, customer.id, users[login], "Deal", amount=amount,
                signed_on=date(2026, 3, 2),
            )  # fmt: skip
            if login == "sales1":
                session.add(payment(order.id, "120.50", START.replace(day=3)))


async def test_a_manager_ranks_their_team_with_ties_stated(
    services: Services, manager1: GraphQLClient
) -> None:
    await _sales(services)
    users = await user_ids(services)
    board = (await manager1.data(LEADERBOARD, metric="DEAL_TOTAL", by="USER"))[
        "statisticsLeaderboard"
    ]
    # Only manager1's department (manager1, sales1, sales2); sales3 is outside the scope.
    assert board["labels"] == ["Wang Wei", "Zhang Min", "Li Na"]
    assert board["keys"] == [str(users[n]) for n in ("sales1", "sales2", "manager1")]
    assert board["ranks"] == [1, 1, 3]
    assert board["tied"] == [True, True, False]
    [series] = board["series"]
    assert series == {
        "metric": "DEAL_TOTAL", "unit": "MONEY", "values": ["300.00", "300.00", "0.00"],
        "total": "600.00",
    }  # fmt: skip

    combined = (await manager1.data(COMBINED))["combinedStatistics"]
    assert [s["metric"] for s in combined["series"]] == [
        "NEW_CUSTOMERS", "CUSTOMERS_CLAIMED", "DEAL_TOTAL", "QUANTITY", "PROFIT",
    ]  # fmt: skip
    assert combined["ranks"] is None

    daily = (await manager1.data(DAILY))["statistics"]
    assert daily["keys"] == [f"2026-03-0{d}" for d in range(1, 6)]
    assert daily["series"][0]["values"] == ["0.00", "0.00", "120.50", "0.00", "0.00"]
    assert Decimal(daily["series"][0]["total"]) == Decimal("120.50")


async def test_reports_need_the_statistics_right_and_sound_arguments(
    sales1: GraphQLClient, manager1: GraphQLClient
) -> None:
    assert await sales1.error_codes(DAILY) == ["FORBIDDEN"]
    backwards = """{ statistics(metrics: [DEAL_TOTAL], by: DAY, from: "2026-03-05",
      to: "2026-03-01") { keys } }"""
    by_product = """{ statistics(metrics: [FOLLOW_UPS], by: PRODUCT, from: "2026-03-01",
      to: "2026-03-05") { keys } }"""
    for query in (backwards, by_product):
        answer = await manager1.execute(query)
        assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", answer
        assert answer.get("data") is None, answer
