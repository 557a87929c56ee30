"""Statistics through the API, as a manager would try them: this month's leaderboard with
ties, the department's combined figures and a daily series of payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from gql_crm.db.models import (
    Opportunity,
    OpportunityStage,
    OptionItem,
    OptionList,
    OrderLine,
    Pool,
    Product,
)
from gql_crm.services import statistics_rollup
from gql_crm.services.unit_of_work import Services
from tests.conftest import START
from tests.fixtures.factories import add_customer, add_order, added, payment
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
        # Written past the services: the statistics' daily sums are computed afresh.
        await session.flush()
        await statistics_rollup.rebuild(session)


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


INTENT_BY_CATEGORY = """{ statistics(metrics: [INTENT_CUSTOMERS], by: PRODUCT_CATEGORY,
  from: "2026-03-01", to: "2026-03-31") { keys labels series { values total } } }"""


async def test_intent_customers_by_the_categories_their_opportunities_name(
    services: Services, manager1: GraphQLClient
) -> None:
    """An intent customer counts once under each category of the products on the orders made
    from their opportunity, a draft order too; under none without such a line (no order, or
    only a deleted one); once in the total; and only within the caller's scope."""
    users = await user_ids(services)
    async with services.database.writer() as session, session.begin():
        stage = await session.scalar(select(OpportunityStage.id).limit(1))
        assert stage is not None
        hardware, software = [
            await added(session, OptionItem(list=OptionList.PRODUCT_CATEGORY, label=label,
                                            sort_order=90 + k))
            for k, label in enumerate(("Boards", "Licences"))
        ]  # fmt: skip
        products = [
            await added(session, Product(
                name=f"Intent {k}", code=f"INT{k}", price=Decimal(10), cost=Decimal(1),
                unit="piece", is_active=True, created_at=START, updated_at=START,
                category_id=category.id,
            ))
            for k, category in enumerate((hardware, hardware, software))
        ]  # fmt: skip

        async def intent(owner: str, *orders: tuple[list[Product], bool, bool]) -> None:
            """A customer of ``owner`` with an opportunity and its orders: (products, signed,
            deleted)."""
            customer = await add_customer(session, f"{owner} {len(orders)}", users[owner],
                                          Pool.PRIVATE)  # fmt: skip
            opportunity = await added(session, Opportunity(
                customer_id=customer.id, title="Deal", stage_id=stage, amount=Decimal(100),
                probability=50, owner_id=users[owner], created_at=START, updated_at=START,
            ))  # fmt: skip
            for named, signed, deleted in orders:
                order = await add_order(
                    session, customer.id, users[owner], "Order", opportunity_id=opportunity.id,
                    signed_on=START.date() if signed else None,
                    deleted_at=START if deleted else None,
                )  # fmt: skip
                for position, product in enumerate(named):
                    session.add(OrderLine(
                        order_id=order.id, position=position, product_id=product.id,
                        quantity=Decimal(1), unit_price=Decimal(10), discount=Decimal(0),
                        amount=Decimal(10),
                    ))  # fmt: skip

        # Two board products on a draft order, a licence on a signed one: once in each.
        await intent("sales1", (products[:2], False, False), (products[2:], True, False))
        await intent("sales2")  # no order: none
        await intent("sales1", (products[2:], True, True))  # only a deleted order: none
        await intent("sales3", (products[:1], True, False))  # outside manager1's scope
        await statistics_rollup.rebuild(session)  # written past the services

    report = (await manager1.data(INTENT_BY_CATEGORY))["statistics"]
    [series] = report["series"]
    assert dict(zip(report["labels"], series["values"], strict=True)) == {
        "Boards": "1", "Licences": "1", "(none)": "2",
    }  # fmt: skip
    assert report["keys"] == [str(hardware.id), str(software.id), ""]
    assert series["total"] == "3"
