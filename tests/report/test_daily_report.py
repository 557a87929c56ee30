"""The marketing daily report (F9.2): numbers equal an independent recomputation of a seeded
day, a re-run gives identical reports, and the queries respect scopes."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from gql_crm.clock import FrozenClock
from gql_crm.db.models import (
    Customer,
    CustomerKind,
    DailyReport,
    Expense,
    ExpenseKind,
    ExpenseStatus,
    FollowUp,
    OperationLog,
    Opportunity,
    OpportunityChange,
    OpportunityStage,
    OptionItem,
    OptionList,
    PaymentRecord,
    Pool,
    Task,
    User,
)
from gql_crm.services import report
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import add_customer, add_order
from tests.fixtures.users import user_id
from tests.graphql_client import GraphQLClient
from tests.worker.support import notifications

DAY = date(2026, 3, 1)
# Asia/Shanghai (the default company time zone) is UTC+8 all year.
START = datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
END = START + timedelta(days=1)
SECOND = timedelta(seconds=1)


def _moments(rng: random.Random) -> datetime:
    """Inside the day mostly, sometimes just outside it, sometimes exactly on an edge."""
    roll = rng.random()
    if roll < 0.05:
        return START
    if roll < 0.10:
        return START - SECOND
    if roll < 0.15:
        return END
    if roll < 0.20:
        return END - SECOND
    return START + timedelta(seconds=rng.randint(-7200, 86400 + 7200))


async def _seed(services: Services) -> dict[int, dict[str, Any]]:
    """Random activity around the day; returns the figures recomputed from it in Python."""
    rng = random.Random(7)
    expected: dict[int, dict[str, Any]] = defaultdict(
        lambda: {
            "customersAdded": 0,
            "customersClaimed": 0,
            "customersReleased": 0,
            "customersTransferred": 0,
            "followUps": 0,
            "methods": Counter(),
            "opportunitiesCreated": 0,
            "opportunityStageMoves": 0,
            "orders": 0,
            "orderAmount": Decimal("0.00"),
            "payments": 0,
            "paymentAmount": Decimal("0.00"),
            "expenses": 0,
            "expenseAmount": Decimal("0.00"),
            "tasksCompleted": 0,
        }
    )

    def counts(at: datetime) -> bool:
        return START <= at < END

    async with services.database.writer() as session, session.begin():
        users = list(await session.scalars(select(User.id).order_by(User.id)))
        methods = list(
            await session.scalars(
                select(OptionItem.id).where(OptionItem.list == OptionList.FOLLOW_UP_METHOD)
            )
        )
        stages = list(await session.scalars(select(OpportunityStage.id)))
        base = START - timedelta(days=3)
        customer_id = (await add_customer(session, "Host", None, Pool.PUBLIC, base)).id
        customers, logs, follow_ups, opportunities, orders, expenses = [], [], [], [], [], []
        for i in range(400):
            who, at = rng.choice(users), _moments(rng)
            ignored: dict[str, Any] = defaultdict(int, methods=Counter())
            e = expected[who] if counts(at) else ignored
            kind = i % 8
            if kind == 0:
                customers.append(
                    {
                        "kind": CustomerKind.ENTERPRISE,
                        "name": f"c{i}",
                        "pool": Pool.PUBLIC,
                        "pool_entered_at": at,
                        "created_by_id": who,
                        "created_at": at,
                        "updated_at": at,
                    }
                )
                e["customersAdded"] += 1
            elif kind == 1:
                action = rng.choice(["claim", "transfer", "share", "release"])
                former = rng.choice(users)
                logs.append(
                    {
                        "actor_id": None if action == "release" else who,
                        "entity_type": "customer",
                        "entity_id": customer_id,
                        "action": action,
                        "changes": {"ownerId": [former if action == "release" else None, None]},
                        "created_at": at,
                    }
                )
                if action == "release":
                    if counts(at):
                        expected[former]["customersReleased"] += 1
                elif action != "share":
                    e["customersClaimed" if action == "claim" else "customersTransferred"] += 1
            elif kind == 2:
                method = rng.choice([*methods, None])
                follow_ups.append(
                    {
                        "customer_id": customer_id,
                        "method_id": method,
                        "content": "call",
                        "followed_at": at - timedelta(days=2),  # recorded late: counts today
                        "author_id": who,
                        "created_at": at,
                    }
                )
                e["followUps"] += 1
                e["methods"]["none" if method is None else str(method)] += 1
            elif kind == 3:
                opportunities.append((who, at, rng.choice(stages), rng.choice(stages)))
                e["opportunitiesCreated"] += 1
            elif kind in (4, 5):
                amount = Decimal(rng.randint(100, 99999)) / 100
                deleted = rng.random() < 0.2
                orders.append((who, at, amount, deleted))
                if not deleted:
                    e["orders"] += 1
                    e["orderAmount"] += amount
            else:
                amount = Decimal(rng.randint(100, 99999)) / 100
                kind_ = rng.choice(list(ExpenseKind))
                status = rng.choice(list(ExpenseStatus))
                expenses.append(
                    {
                        "kind": kind_,
                        "amount": amount,
                        "occurred_on": DAY,
                        "description": "x",
                        "owner_id": who,
                        "status": status,
                        "created_at": at,
                        "updated_at": at,
                    }
                )
                if kind_ is ExpenseKind.EXPENSE and status is not ExpenseStatus.REJECTED:
                    e["expenses"] += 1
                    e["expenseAmount"] += amount
        await session.execute(insert(Customer), customers)
        await session.execute(insert(OperationLog), logs)
        await session.execute(insert(FollowUp), follow_ups)
        await session.execute(insert(Expense), expenses)
        for who, at, first_stage, next_stage in opportunities:
            # created at `at`, moved by the creator a little later (maybe the next day)
            opportunity_id = await session.scalar(
                insert(Opportunity)
                .values(
                    customer_id=customer_id,
                    title="o",
                    stage_id=next_stage,
                    amount=Decimal(1),
                    probability=10,
                    owner_id=who,
                    created_by_id=who,
                    created_at=at,
                    updated_at=at,
                )
                .returning(Opportunity.id)
            )
            moved_at = at + timedelta(hours=rng.choice([0, 3, 30]))
            await session.execute(
                insert(OpportunityChange),
                [
                    {
                        "opportunity_id": opportunity_id,
                        "changed_by_id": who,
                        "changed_at": at,
                        "from_stage_id": None,
                        "to_stage_id": first_stage,
                        "to_amount": Decimal(1),
                        "to_probability": 10,
                    },
                    {
                        "opportunity_id": opportunity_id,
                        "changed_by_id": who,
                        "changed_at": moved_at,
                        "from_stage_id": first_stage,
                        "to_stage_id": next_stage,
                        "to_amount": Decimal(1),
                        "to_probability": 10,
                    },
                ],
            )
            if first_stage != next_stage and counts(moved_at):
                expected[who]["opportunityStageMoves"] += 1
        for who, at, amount, deleted in orders:
            deleted_at = at + SECOND if deleted else None
            order = await add_order(
                session,
                customer_id,
                who,
                "order",
                at,
                amount,
                created_by_id=who,
                deleted_at=deleted_at,
            )
            paid_at = at + timedelta(hours=rng.choice([1, 12]))
            payer = rng.choice(users)
            paid = (amount / 2).quantize(Decimal("0.01"))
            await session.execute(
                insert(PaymentRecord).values(
                    order_id=order.id,
                    sequence=1,
                    paid_on=DAY,
                    amount=paid,
                    invoiced=False,
                    created_by_id=payer,
                    created_at=paid_at,
                )
            )
            if counts(paid_at):
                expected[payer]["payments"] += 1
                expected[payer]["paymentAmount"] += paid
    async with services.database.writer() as session, session.begin():
        for i in range(60):
            owner, done_at = rng.choice(users), _moments(rng)
            done, deleted = i % 3 != 0, i % 11 == 0
            session.add(
                Task(
                    customer_id=customer_id,
                    owner_id=owner,
                    content=f"t{i}",
                    due_at=done_at,
                    done=done,
                    done_at=done_at if done else None,
                    deleted_at=done_at if deleted else None,
                    created_at=base,
                    updated_at=base,
                )
            )
            if done and not deleted and counts(done_at):
                expected[owner]["tasksCompleted"] += 1
    assert any(e["tasksCompleted"] for e in expected.values()), "the seed covers done tasks"
    return expected


REPORT_FIELDS = """
  userId day customersAdded customersClaimed customersReleased customersTransferred
  followUps followUpsByMethod { methodId count } tasksCompleted opportunitiesCreated
  opportunityStageMoves orders orderAmount payments paymentAmount expenses expenseAmount
"""
MINE = f"""
query($from: Date!, $to: Date!) {{
  myDailyReports(from: $from, to: $to, first: 100) {{
    totalCount edges {{ node {{ {REPORT_FIELDS} }} }}
  }}
}}
"""
TEAM = f"""
query($from: Date!, $to: Date!, $userId: Int) {{
  dailyReports(from: $from, to: $to, userId: $userId, first: 100) {{
    totalCount edges {{ node {{ {REPORT_FIELDS} }} }}
  }}
}}
"""


def _as_expected(e: dict[str, Any], uid: int) -> dict[str, Any]:
    methods = sorted(
        (((None if k == "none" else int(k)), n) for k, n in e["methods"].items() if n),
        key=lambda m: (m[0] is not None, m[0] or 0),
    )
    return {
        "userId": uid,
        "day": DAY.isoformat(),
        "customersAdded": e["customersAdded"],
        "customersClaimed": e["customersClaimed"],
        "customersReleased": e["customersReleased"],
        "customersTransferred": e["customersTransferred"],
        "followUps": e["followUps"],
        "followUpsByMethod": [{"methodId": m, "count": n} for m, n in methods],
        "tasksCompleted": e["tasksCompleted"],
        "opportunitiesCreated": e["opportunitiesCreated"],
        "opportunityStageMoves": e["opportunityStageMoves"],
        "orders": e["orders"],
        "orderAmount": str(e["orderAmount"].quantize(Decimal("0.01"))),
        "payments": e["payments"],
        "paymentAmount": str(e["paymentAmount"].quantize(Decimal("0.01"))),
        "expenses": e["expenses"],
        "expenseAmount": str(e["expenseAmount"].quantize(Decimal("0.01"))),
    }


async def _stored(services: Services) -> list[tuple[Any, ...]]:
    async with services.database.reader() as session:
        rows = await session.scalars(select(DailyReport).order_by(DailyReport.user_id))
        return [
            tuple(getattr(r, c.key) for c in DailyReport.__table__.columns if c.key != "id")
            for r in rows
        ]


async def test_reports_equal_a_recomputation_and_a_rerun_gives_the_same(
    services: Services,
    clock: FrozenClock,
    admin: GraphQLClient,
    manager1: GraphQLClient,
    sales1: GraphQLClient,
) -> None:
    expected = await _seed(services)
    assert await report.generate(services, DAY) == 5

    for client in (admin, manager1, sales1):
        found = await client.data(MINE, **{"from": "2026-02-01", "to": "2026-03-31"})
        mine = found["myDailyReports"]["edges"]
        assert client.user_id is not None and len(mine) == 1
        assert mine[0]["node"] == _as_expected(expected[client.user_id], client.user_id)
    team = await manager1.data(TEAM, **{"from": DAY.isoformat(), "to": DAY.isoformat()})
    sales1_id = await user_id(services, "sales1")
    sales2_id = await user_id(services, "sales2")
    seen = {edge["node"]["userId"]: edge["node"] for edge in team["dailyReports"]["edges"]}
    assert set(seen) == {manager1.user_id, sales1_id, sales2_id}  # Sales Dept 1 only
    for uid, node in seen.items():
        assert node == _as_expected(expected[uid], uid)
    one = await manager1.data(
        TEAM, **{"from": "2026-03-01", "to": "2026-03-01", "userId": sales1_id}
    )
    assert [e["node"]["userId"] for e in one["dailyReports"]["edges"]] == [sales1_id]
    assert await sales1.error_codes(TEAM, **{"from": "2026-03-01", "to": "2026-03-01"}) == [
        "FORBIDDEN"
    ]
    outside = await sales1.data(MINE, **{"from": "2026-03-02", "to": "2026-03-31"})
    assert outside["myDailyReports"]["totalCount"] == 0

    first = await _stored(services)
    clock.advance(timedelta(hours=1))
    assert await report.generate(services, DAY) == 5  # re-run: the day is replaced
    again = await _stored(services)
    assert [row[:-1] for row in again] == [row[:-1] for row in first]  # all but generated_at
    assert len(again) == 5


async def test_the_nightly_run_writes_yesterday_once_and_tells_everyone(
    services: Services, clock: FrozenClock
) -> None:
    # 09:00 UTC on 2 March is 17:00 in Shanghai: yesterday is 1 March.
    assert await report.nightly(services) == 5
    assert await report.nightly(services) is None
    ready = await notifications(services, "daily_report.ready")
    assert len(ready) == 5
    async with services.database.reader() as session:
        days = set(await session.scalars(select(DailyReport.day)))
    assert days == {DAY}
