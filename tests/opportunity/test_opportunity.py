from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from gql_crm.db.models import (
    Opportunity,
    OpportunityChange,
    OpportunityStage,
    StageOutcome,
    User,
)
from gql_crm.services.unit_of_work import Services
from tests.conftest import START
from tests.fixtures.factories import count, make_customer, stage_ids
from tests.fixtures.users import user_ids
from tests.graphql_client import GraphQLClient

CREATE = """
mutation($customerId: Int!, $input: OpportunityInput!) {
  createOpportunity(customerId: $customerId, input: $input) {
    __typename
    ... on OpportunitySuccess { opportunity { id amount probability stage { name } } }
    ... on Error { code field message }
    ... on InvalidInputError { problems { field } }
  }
}
"""
UPDATE = """
mutation($id: Int!, $input: OpportunityInput!) {
  updateOpportunity(id: $id, input: $input) {
    __typename
    ... on OpportunitySuccess { opportunity { id } }
    ... on Error { code field message }
  }
}
"""
HISTORY = """
query($id: Int!) {
  opportunity(id: $id) {
    history {
      changedBy { loginName }
      fromStage { name } toStage { name }
      fromAmount toAmount fromProbability toProbability
      fromExpectedSignDate toExpectedSignDate
    }
  }
}
"""


def _input(stage_id: int, **extra: object) -> dict[str, object]:
    return {
        "title": "Fifty seats",
        "stageId": stage_id,
        "amount": "50000.00",
        "probability": 10,
        "expectedSignDate": "2026-04-30",
        **extra,
    }


async def test_three_edits_make_three_history_entries_and_a_no_op_none(
    sales1: GraphQLClient, services: Services
) -> None:
    customer = await make_customer(services, "sales1")
    stages = await stage_ids(services)
    created = (
        await sales1.data(CREATE, customerId=customer, input=_input(stages["Initial contact"]))
    )["createOpportunity"]
    assert created["__typename"] == "OpportunitySuccess", created
    opportunity_id = created["opportunity"]["id"]

    edits = [
        _input(stages["Project evaluation"], probability=20),
        _input(stages["Project evaluation"], probability=20, amount="48000.50"),
        _input(
            stages["Business negotiation"],
            probability=60,
            amount="48000.50",
            expectedSignDate="2026-04-15",
        ),
    ]
    for edit in edits:
        result = (await sales1.data(UPDATE, id=opportunity_id, input=edit))["updateOpportunity"]
        assert result["__typename"] == "OpportunitySuccess", result
    # Only the remarks change: no history entry.
    await sales1.data(UPDATE, id=opportunity_id, input={**edits[-1], "remarks": "Call Tuesday"})

    history = (await sales1.data(HISTORY, id=opportunity_id))["opportunity"]["history"]
    assert [
        (
            (h["fromStage"] or {}).get("name"),
            h["toStage"]["name"],
            h["fromAmount"],
            h["toAmount"],
            h["fromProbability"],
            h["toProbability"],
            h["fromExpectedSignDate"],
            h["toExpectedSignDate"],
        )
        for h in history
    ] == [
        (None, "Initial contact", None, "50000.00", None, 10, None, "2026-04-30"),
        (
            "Initial contact",
            "Project evaluation",
            "50000.00",
            "50000.00",
            10,
            20,
            "2026-04-30",
            "2026-04-30",
        ),
        (
            "Project evaluation",
            "Project evaluation",
            "50000.00",
            "48000.50",
            20,
            20,
            "2026-04-30",
            "2026-04-30",
        ),
        (
            "Project evaluation",
            "Business negotiation",
            "48000.50",
            "48000.50",
            20,
            60,
            "2026-04-30",
            "2026-04-15",
        ),
    ]
    assert {h["changedBy"]["loginName"] for h in history} == {"sales1"}


async def test_refusals_write_nothing(
    sales1: GraphQLClient, manager1: GraphQLClient, services: Services
) -> None:
    stages = await stage_ids(services)
    foreign = await make_customer(services, "sales3")  # another department
    public = await make_customer(services, None)
    own = await make_customer(services, "sales1")
    invisible = (await sales1.data(CREATE, customerId=foreign, input=_input(stages["Signed"])))[
        "createOpportunity"
    ]
    assert (invisible["__typename"], invisible["field"]) == ("NotFoundError", "customerId")
    in_pool = (await sales1.data(CREATE, customerId=public, input=_input(stages["Signed"])))[
        "createOpportunity"
    ]
    assert in_pool["__typename"] == "ConflictError"
    bad = (
        await sales1.data(
            CREATE, customerId=own, input=_input(9999, amount="-5", probability=101, title="")
        )
    )["createOpportunity"]
    assert bad["__typename"] == "InvalidInputError"
    assert {p["field"] for p in bad["problems"]} == {"amount", "probability", "stageId", "title"}
    assert await count(services, Opportunity) == 0
    assert await count(services, OpportunityChange) == 0

    # The owner's manager may move it on; a colleague of the same department may not see it.
    created = await sales1.data(CREATE, customerId=own, input=_input(stages["Initial contact"]))
    opportunity_id = created["createOpportunity"]["opportunity"]["id"]
    sales2 = await sales1.as_user("sales2")
    hidden = await sales2.data(UPDATE, id=opportunity_id, input=_input(stages["Signed"]))
    assert hidden["updateOpportunity"]["__typename"] == "NotFoundError"
    assert await count(services, OpportunityChange) == 1
    managed = await manager1.data(UPDATE, id=opportunity_id, input=_input(stages["Signed"]))
    assert managed["updateOpportunity"]["__typename"] == "OpportunitySuccess"
    assert await count(services, OpportunityChange) == 2


FUNNEL = """
query($filter: OpportunityFilterInput) {
  salesFunnel(filter: $filter) { stage { id name } count amount }
}
"""
FORECAST = """
query($from: Date!, $to: Date!, $departmentId: Int) {
  salesForecast(expectedFrom: $from, expectedTo: $to, departmentId: $departmentId) {
    total { count amount weightedAmount }
    byUser { user { id } count amount weightedAmount }
    byDepartment { department { id } count amount weightedAmount }
  }
}
"""


async def _seed_opportunities(services: Services) -> list[Opportunity]:
    """Forty opportunities over four owners, every stage and two months, with odd cents."""
    rng = random.Random(7)
    users = await user_ids(services)
    stages = await stage_ids(services)
    customers = {
        login: await make_customer(services, login, f"{login} customer")
        for login in ("manager1", "sales1", "sales2", "sales3")
    }
    rows = []
    async with services.database.writer() as session, session.begin():
        for i in range(40):
            login = rng.choice(list(customers))
            rows.append(
                Opportunity(
                    customer_id=customers[login],
                    title=f"Deal {i}",
                    stage_id=rng.choice(list(stages.values())),
                    amount=Decimal(rng.randint(1, 9_999_999)) / 100,
                    probability=rng.randint(0, 100),
                    expected_sign_date=date(2026, 3, 1) + timedelta(days=rng.randint(0, 60)),
                    owner_id=users[login],
                    created_at=START,
                    updated_at=START,
                )
            )
        session.add_all(rows)
    return rows


async def test_funnel_and_forecast_match_a_recomputation_within_scope(
    admin: GraphQLClient, manager1: GraphQLClient, services: Services
) -> None:
    rows = await _seed_opportunities(services)
    users = await user_ids(services)
    async with services.database.reader() as session:
        departments = {u.id: u.department_id for u in await session.scalars(select(User))}
        outcome = {s.id: s.outcome for s in await session.scalars(select(OpportunityStage))}
    dept1 = {users["manager1"], users["sales1"], users["sales2"]}

    for client, visible in ((admin, set(users.values())), (manager1, dept1)):
        mine = [r for r in rows if r.owner_id in visible]
        funnel = (await client.data(FUNNEL))["salesFunnel"]
        expected: dict[int, tuple[int, Decimal]] = defaultdict(lambda: (0, Decimal("0")))
        for r in mine:
            n, total = expected[r.stage_id]
            expected[r.stage_id] = (n + 1, total + r.amount)
        assert {f["stage"]["id"]: (f["count"], Decimal(f["amount"])) for f in funnel} == {
            stage_id: expected[stage_id] for stage_id in outcome
        }

        april = [
            r
            for r in mine
            if outcome[r.stage_id] is StageOutcome.OPEN
            and r.expected_sign_date is not None
            and date(2026, 4, 1) <= r.expected_sign_date <= date(2026, 4, 30)
        ]
        forecast = (await client.data(FORECAST, **{"from": "2026-04-01", "to": "2026-04-30"}))[
            "salesForecast"
        ]
        weighted = sum((r.amount * r.probability / 100 for r in april), Decimal(0))
        assert Decimal(forecast["total"]["weightedAmount"]) == weighted
        assert Decimal(forecast["total"]["amount"]) == sum((r.amount for r in april), Decimal(0))
        assert forecast["total"]["count"] == len(april)
        by_user: dict[int, Decimal] = defaultdict(Decimal)
        by_department: dict[int | None, Decimal] = defaultdict(Decimal)
        for r in april:
            by_user[r.owner_id] += r.amount * r.probability / 100
            by_department[departments[r.owner_id]] += r.amount * r.probability / 100
        assert {
            u["user"]["id"]: Decimal(u["weightedAmount"]) for u in forecast["byUser"]
        } == by_user
        assert {
            d["department"]["id"]: Decimal(d["weightedAmount"]) for d in forecast["byDepartment"]
        } == by_department

    # The department filter narrows the admin's view to the same numbers as the manager's.
    dept_id = departments[users["sales1"]]
    narrowed = (
        await admin.data(
            FORECAST, **{"from": "2026-04-01", "to": "2026-04-30"}, departmentId=dept_id
        )
    )["salesForecast"]
    managers = (await manager1.data(FORECAST, **{"from": "2026-04-01", "to": "2026-04-30"}))[
        "salesForecast"
    ]
    assert narrowed["total"] == managers["total"]
