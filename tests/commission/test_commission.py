"""Commission through the API: a refund a quarter later clawed back and linked to its order,
a company-midnight refund counted on its company day, a plan revised mid-year (past periods
unchanged), a management plan on the department's sales, a plan on payments received, and
who may read whose commission."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from gql_crm.db.models import Pool, Refund
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import add_customer, add_order, payment
from tests.fixtures.users import user_ids
from tests.graphql_client import GraphQLClient

CREATE = """mutation($input: CommissionPlanInput!) { createCommissionPlan(input: $input) {
  __typename ... on CommissionPlanSuccess { plan { id name versions { effectiveFrom
  rules { tiers { threshold value } } } } }
  ... on InvalidInputError { problems { field message } } } }"""
REVISE = """mutation($id: Int!, $from: Date!, $rules: CommissionRulesInput!) {
  reviseCommissionPlan(planId: $id, effectiveFrom: $from, rules: $rules) { __typename
  ... on CommissionPlanSuccess { plan { versions { effectiveFrom } } }
  ... on InvalidInputError { problems { field message } } } }"""
LINES = "source amount orderId day base rate threshold rule planName period"
COMMISSION = f"""query($period: String!, $user: Int!) {{ commission(period: $period,
  userId: $user) {{ userId amount lines {{ {LINES} }} }} }}"""
MINE = f"""query($period: String!) {{ myCommission(period: $period) {{ amount
  lines {{ {LINES} }} }} }}"""


def _rules(members: list[int], tiers: list[tuple[str, str]], **more: Any) -> dict[str, Any]:
    return {
        "basis": "TOTAL", "period": "QUARTER", "memberIds": members,
        "tiers": [{"threshold": t, "value": v} for t, v in tiers], **more,
    }  # fmt: skip


async def _sales(services: Services) -> dict[str, int]:
    users = await user_ids(services)
    async with services.database.writer() as session, session.begin():
        c1 = await add_customer(session, "Acme", users["sales1"], Pool.PRIVATE)
        c2 = await add_customer(session, "Bolt", users["sales2"], Pool.PRIVATE)
        big = await add_order(
            session, c1.id, users["sales1"], "Big", amount="110000.00", signed_on=date(2026, 2, 10)
        )
        await add_order(
            session, c1.id, users["sales1"], "Later", amount="10000.00", signed_on=date(2026, 8, 1)
        )
        other = await add_order(
            session, c2.id, users["sales2"], "Bolt", amount="50000.00", signed_on=date(2026, 5, 2)
        )
        session.add(payment(other.id, "12345.67", datetime(2026, 5, 3, 2, tzinfo=UTC)))
        # 23:59:59 on 31 March in Shanghai (Q1), and midnight on 1 April (Q2).
        for at, amount in (
            (datetime(2026, 3, 31, 15, 59, 59, tzinfo=UTC), "5000.00"),
            (datetime(2026, 3, 31, 16, 0, 0, tzinfo=UTC), "20000.00"),
        ):
            session.add(
                Refund(order_id=big.id, amount=Decimal(amount), refunded_at=at, reason="r",
                       created_at=at)
            )  # fmt: skip
    return {**users, "big": big.id}


async def test_commission_by_quarter_with_refunds_and_a_revision(
    services: Services, admin: GraphQLClient, manager1: GraphQLClient, sales1: GraphQLClient
) -> None:
    ids = await _sales(services)
    made = await admin.data(
        CREATE,
        input={
            "name": "Sales 2026", "kind": "SALES", "effectiveFrom": "2026-01-01",
            "rules": _rules([ids["sales1"]], [("0", "0.01"), ("100000", "0.03")]),
        },
    )  # fmt: skip
    plan = made["createCommissionPlan"]["plan"]
    q1 = (await manager1.data(COMMISSION, period="2026-Q1", user=ids["sales1"]))["commission"]
    # 110,000 signed less the 5,000 refunded before midnight: 105,000 reaches 3 % on the whole.
    assert q1["amount"] == "3150.00"
    assert [(x["source"], x["orderId"], x["day"]) for x in q1["lines"]] == [
        ("sale", ids["big"], "2026-02-10"), ("refund", ids["big"], "2026-03-31"),
    ]  # fmt: skip
    assert {x["rate"] for x in q1["lines"]} == {"0.03"}
    # The 20,000 refunded at midnight belongs to Q2, where nothing was sold: clawed back at 1 %.
    q2 = (await sales1.data(MINE, period="2026-Q2"))["myCommission"]
    assert q2["amount"] == "-200.00"
    [refund] = q2["lines"]
    assert (refund["source"], refund["orderId"], refund["day"]) == (
        "refund", ids["big"], "2026-04-01",
    )  # fmt: skip

    past = await admin.data(
        REVISE, id=plan["id"], **{"from": "2026-01-01"},
        rules=_rules([ids["sales1"]], [("0", "0.02")]),
    )  # fmt: skip
    assert past["reviseCommissionPlan"]["__typename"] == "InvalidInputError"
    revised = await admin.data(
        REVISE, id=plan["id"], **{"from": "2026-07-01"},
        rules=_rules([ids["sales1"]], [("0", "0.02")]),
    )  # fmt: skip
    versions = revised["reviseCommissionPlan"]["plan"]["versions"]
    assert [v["effectiveFrom"] for v in versions] == ["2026-01-01", "2026-07-01"]
    year = (await manager1.data(COMMISSION, period="2026", user=ids["sales1"]))["commission"]
    # Q1 3,150 and Q2 -200 under the first rules; Q3 10,000 x 2 % under the second.
    assert year["amount"] == "3150.00"
    by_period: dict[str, list[dict[str, Any]]] = {}
    for line in year["lines"]:
        by_period.setdefault(line["period"], []).append(line)
    assert sorted(by_period) == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert [x["rate"] for x in by_period["2026-Q3"]] == ["0.02"]

    # sales1 may not read others' commission; manager1 not outside their scope.
    assert await sales1.error_codes(COMMISSION, period="2026", user=ids["sales1"]) == ["FORBIDDEN"]
    assert await manager1.error_codes(COMMISSION, period="2026", user=ids["sales3"]) == [
        "NOT_FOUND"
    ]
    assert await manager1.error_codes(COMMISSION, period="2026-13", user=ids["sales1"]) == [
        "BAD_USER_INPUT"
    ]


async def test_management_and_payment_plans(
    services: Services, admin: GraphQLClient, manager1: GraphQLClient
) -> None:
    ids = await _sales(services)
    for name, kind, rules in (
        ("Managers", "MANAGEMENT",
         _rules([ids["manager1"]], [("0", "0.01")], period="YEAR")),
        ("Collected", "SALES",
         _rules([ids["sales2"]], [("0", "0.02")], period="MONTH", counting="PAYMENTS")),
    ):  # fmt: skip
        made = await admin.data(
            CREATE,
            input={"name": name, "kind": kind, "effectiveFrom": "2026-01-01", "rules": rules},
        )
        assert made["createCommissionPlan"]["__typename"] == "CommissionPlanSuccess", made
    boss = (await manager1.data(COMMISSION, period="2026", user=ids["manager1"]))["commission"]
    # 1 % of Sales Dept 1's year: 110,000 - 5,000 - 20,000 + 10,000 (sales1) + 50,000 (sales2).
    assert boss["amount"] == "1450.00"
    collected = await manager1.data(COMMISSION, period="2026-05", user=ids["sales2"])
    # 2 % of the 12,345.67 received in May: 246.9134, rounded to the cent.
    assert collected["commission"]["amount"] == "246.91"
    everyone = await manager1.data("""{ commissions(period: "2026") { userId amount } }""")
    assert {c["userId"]: c["amount"] for c in everyone["commissions"]} == {
        ids["manager1"]: "1450.00", ids["sales2"]: "246.91",
    }  # fmt: skip
