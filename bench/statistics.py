"""Benchmark: the statistics reports for a manager's scope over a year, and a year's
commission for every salesperson (PostgreSQL).

    .venv/bin/python -m bench.statistics [--customers 100000] [--lines 1000000]
        [--salespeople 50] [--samples 20] [--database-url URL] [--keep]

Rebuilds the database (default ``gqlcrm_bench18``; never point it at data you want to keep)
and loads two years (2025-2026) of customers, orders with lines, payments, refunds,
follow-ups, opportunities, claims and expenses with set-based ``INSERT … SELECT …
generate_series`` statements, then computes the statistics' sums of them at once, as after
any load past the services (``--keep`` measures what a previous run loaded, migrated to the
current schema, its sums computed afresh). The salespeople are spread over five
departments, each with a manager; ``manager1`` (data scope: own and subordinates) reads
every report over 2026 — about a fifth of the data. Each report is also computed by a plain
hand-written ``GROUP BY`` over the raw tables with the same conditions (the naive baseline:
one statement per metric, timed together), one sample of ours and one of the baseline in
turn so that both see the same load; the two must agree, and the ratios of their p95 and of
their medians are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from bench.common import percentile
from bench.jobs import fresh_schema
from gql_crm.auth.permissions import ALL_PERMISSIONS, Action, Module, basic
from gql_crm.auth.principal import Principal
from gql_crm.db.engine import Database
from gql_crm.db.migrate import upgrade
from gql_crm.db.models import DataScope
from gql_crm.db.models.commission import CommissionKind, CommissionPlan, CommissionPlanVersion
from gql_crm.db.scopes import visible_owner_ids
from gql_crm.services import commission, statistics, statistics_rollup
from gql_crm.services.statistics import Dimension, Metric
from gql_crm.settings import Settings

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/gqlcrm_bench18"
DEPARTMENTS = 5
FIRST, LAST = date(2026, 1, 1), date(2026, 12, 31)
DAYS = 730  # 2025-01-01 .. 2026-12-31
START = "TIMESTAMPTZ '2024-12-31 16:00:00+00'"  # midnight of 1 January 2025 in Shanghai

# :s salespeople, ids :first_sales .. :first_sales + :s - 1; :c customers; :o orders
LOADS: dict[str, str] = {
    "customers": f"""
        INSERT INTO customers (kind, name, pool, pool_entered_at, owner_id, created_by_id,
                               source_id, status_id, city, created_at, updated_at)
        SELECT CASE WHEN g % 3 = 0 THEN 'individual' ELSE 'enterprise' END, 'Customer ' || g,
               'private', t, :first_sales + g % :s, :first_sales + (g / 7) % :s,
               (SELECT array_agg(id ORDER BY id) FROM option_items WHERE list = 'source')
                   [1 + g % 4],
               (SELECT array_agg(id ORDER BY id) FROM option_items WHERE list = 'status')
                   [1 + g % 3],
               (ARRAY['Shanghai', 'Beijing', 'Shenzhen', 'Hangzhou', 'Chengdu'])[1 + g % 5], t, t
        FROM generate_series(1, :c) g,
             LATERAL (SELECT {START} + make_interval(secs => (g::bigint * 7919) % (:days * 86400))
                      AS t) at""",
    "orders": """
        INSERT INTO orders (customer_id, title, amount, amount_is_explicit, signed_on,
                            owner_id, created_by_id, created_at, updated_at, deleted_at)
        SELECT c, 'Order ' || g, 0, false, DATE '2025-01-01' + (g * 37) % :days,
               :first_sales + c % :s, :first_sales + c % :s, now(), now(),
               CASE WHEN g % 101 = 0 THEN now() END
        FROM generate_series(1, :o) g, LATERAL (SELECT 1 + (g * 13) % :c AS c) x""",
    "order_lines": """
        INSERT INTO order_lines (order_id, position, product_id, quantity, unit_price, discount,
                                 amount)
        SELECT 1 + (g - 1) / 3, (g - 1) % 3, p, q, 10 + p, 0, q * (10 + p)
        FROM generate_series(1, :lines) g,
             LATERAL (SELECT 1 + g % 50 AS p, 1 + g % 5 AS q) x""",
    "order_amounts": """
        UPDATE orders SET amount = s.total
        FROM (SELECT order_id, sum(amount) AS total FROM order_lines GROUP BY order_id) s
        WHERE orders.id = s.order_id""",
    "payment_records": """
        INSERT INTO payment_records (order_id, sequence, paid_on, amount, invoiced, created_at)
        SELECT id, 1, signed_on + (id % 60)::int, round(amount / 2, 2), false, now()
        FROM orders WHERE id % 3 <> 0""",
    "refunds": f"""
        INSERT INTO refunds (order_id, amount, refunded_at, reason, created_at)
        SELECT id, round(amount / 4, 2), {START} + make_interval(days => (id * 37) % :days + 95),
               'returned', now()
        FROM orders WHERE id % 50 = 0""",
    "follow_ups": f"""
        INSERT INTO follow_ups (customer_id, content, followed_at, author_id, created_at)
        SELECT 1 + g % :c, 'called', t, :first_sales + g % :s, t
        FROM generate_series(1, :c * 3) g,
             LATERAL (SELECT {START} + make_interval(secs => (g::bigint * 104729)
                      % (:days * 86400)) AS t) at""",
    "opportunities": f"""
        INSERT INTO opportunities (customer_id, title, stage_id, amount, probability, owner_id,
                                   created_by_id, created_at, updated_at)
        SELECT 1 + g % :c, 'Deal ' || g, (SELECT min(id) FROM opportunity_stages), 1000, 20,
               :first_sales + g % :s, :first_sales + g % :s, t, t
        FROM generate_series(1, :c) g,
             LATERAL (SELECT {START} + make_interval(secs => (g::bigint * 15485863)
                      % (:days * 86400)) AS t) at""",
    # Half the orders are made from their customer's opportunity (each customer has one).
    "order_opportunities": """
        UPDATE orders SET opportunity_id = p.id FROM opportunities p
        WHERE p.customer_id = orders.customer_id AND orders.id % 2 = 0""",
    "operation_logs": f"""
        INSERT INTO operation_logs (actor_id, entity_type, entity_id, action, changes,
                                    created_at)
        SELECT :first_sales + g % :s, 'customer', 1 + g % :c, 'claim', '{{}}',
               {START} + make_interval(secs => (g::bigint * 7919) % (:days * 86400))
        FROM generate_series(1, :c / 2) g""",
    "expenses": """
        INSERT INTO expenses (kind, amount, occurred_on, description, owner_id, status,
                              created_at, updated_at)
        SELECT CASE WHEN g % 4 = 0 THEN 'income' ELSE 'expense' END, 10 + g % 990,
               DATE '2025-01-01' + (g * 31) % :days, 'taxi', :first_sales + g % :s,
               (ARRAY['approved', 'pending', 'rejected'])[1 + g % 3], now(), now()
        FROM generate_series(1, :c / 2) g""",
}


async def organisation(database: Database, salespeople: int) -> dict[str, Any]:
    """Positions, five departments each with a manager, and the salespeople."""
    now = datetime.now(UTC)
    manager_permissions = sorted({basic(Module.STATISTICS, Action.VIEW)})
    async with database.engine.begin() as c:

        async def one(sql: str, **p: Any) -> Any:
            return (await c.execute(text(sql), p)).scalar_one()

        position = "INSERT INTO positions (name, description, permissions, data_scope, " \
            "created_at) VALUES (:n, '', CAST(:p AS json), :d, :t) RETURNING id"  # fmt: skip
        everything = json.dumps(sorted(ALL_PERMISSIONS))
        admin_position = await one(
            position, n="Administrator", p=everything, d=DataScope.ALL.value, t=now
        )
        manager_position = await one(position, n="Sales manager", p=json.dumps(manager_permissions),
                                     d=DataScope.OWN_AND_SUBORDINATES.value, t=now)  # fmt: skip
        staff_position = await one(position, n="Sales staff", p="[]", d=DataScope.OWN.value, t=now)
        user = "INSERT INTO users (login_name, password_hash, name, department_id, position_id, " \
            "is_active, is_service_account, token_version, created_at) VALUES " \
            "(:l, 'x', :l, :d, :p, true, false, 1, :t) RETURNING id"  # fmt: skip
        admin = await one(user, l="admin", d=None, p=admin_position, t=now)
        departments, managers = [], []
        for k in range(1, DEPARTMENTS + 1):
            manager = await one(user, l=f"manager{k}", d=None, p=manager_position, t=now)
            department = await one(
                "INSERT INTO departments (name, manager_id, sort_order, created_at) "
                "VALUES (:n, :m, :k, :t) RETURNING id", n=f"Region {k}", m=manager, k=k, t=now,
            )  # fmt: skip
            await c.execute(text("UPDATE users SET department_id = :d WHERE id = :m"),
                            {"d": department, "m": manager})  # fmt: skip
            departments.append(department)
            managers.append(manager)
        sales = [
            await one(user, l=f"sales{k:03d}", d=departments[k % DEPARTMENTS], p=staff_position,
                      t=now)
            for k in range(salespeople)
        ]  # fmt: skip
        for option_list, labels in (("source", 4), ("status", 3)):
            for k in range(labels):
                await c.execute(
                    text("INSERT INTO option_items (list, label, sort_order) "
                         "VALUES (:l, :b, :k) ON CONFLICT DO NOTHING"),
                    {"l": option_list, "b": f"{option_list} {k}", "k": 100 + k},
                )  # fmt: skip
        await c.execute(
            text(
                "INSERT INTO products (name, code, price, cost, unit, is_active, created_at, "
                "updated_at) SELECT 'Product ' || g, 'P' || g, 10 + g, 5 + g / 2.0, 'piece', "
                "true, now(), now() FROM generate_series(1, 50) g"
            )
        )
    return {"admin": admin, "managers": managers, "sales": sales, "departments": departments}


async def load(database: Database, customers: int, lines: int, sales: list[int]) -> None:
    params = {
        "c": customers, "lines": lines, "o": (lines + 2) // 3, "s": len(sales),
        "first_sales": sales[0], "days": DAYS,
    }  # fmt: skip
    for name, sql in LOADS.items():
        started = time.perf_counter()
        async with database.engine.begin() as c:
            used = {k: v for k, v in params.items() if f":{k}" in sql}
            await c.execute(text(sql), used)
        print(f"  load {name}: {time.perf_counter() - started:.1f} s", flush=True)
    await rebuild_sums(database)


async def rebuild_sums(database: Database) -> None:
    """The statistics' daily sums of what was loaded, as a load or a time-zone change
    leaves them to be computed, then the vacuum a bulk-loaded table needs."""
    started = time.perf_counter()
    async with database.writer() as session, session.begin():
        await statistics_rollup.rebuild(session)
    print(f"  statistics sums rebuilt: {time.perf_counter() - started:.1f} s", flush=True)
    async with database.engine.connect() as c:
        autocommit = await c.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE"))


async def loaded_organisation(database: Database) -> dict[str, Any]:
    """What ``organisation`` made, found by the login names it gave."""
    async with database.engine.connect() as c:

        async def ids(pattern: str) -> list[int]:
            sql = "SELECT id FROM users WHERE login_name LIKE :p ORDER BY login_name"
            return list((await c.execute(text(sql), {"p": pattern})).scalars())

        departments = list(
            (await c.execute(text("SELECT id FROM departments ORDER BY sort_order"))).scalars()
        )
        [admin] = await ids("admin")
        return {"admin": admin, "managers": await ids("manager%"), "sales": await ids("sales%"),
                "departments": departments}  # fmt: skip


async def principal_of(database: Database, user_id: int, scope: DataScope) -> Principal:
    async with database.reader() as session:
        department = (
            await session.execute(text("SELECT department_id FROM users WHERE id = :u"),
                                  {"u": user_id})
        ).scalar_one()  # fmt: skip
    owners = await visible_owner_ids(database.reader, user_id, department, scope)
    return Principal(user_id=user_id, login_name=f"user{user_id}", department_id=department,
                     permissions=frozenset(ALL_PERMISSIONS), data_scope=scope,
                     visible_owner_ids=owners)  # fmt: skip


# ---- the reports, ours and the naive GROUP BY ------------------------------------------------

LIVE_ORDER = (
    "o.deleted_at IS NULL AND EXISTS (SELECT 1 FROM customers c WHERE c.id = o.customer_id "
    "AND c.deleted_at IS NULL) AND o.owner_id = ANY(:owners)"
)
LOCAL = "to_char(timezone('Asia/Shanghai', {}), 'YYYY-MM-DD')"
REFUNDS = f"""SELECT {LOCAL.format("r.refunded_at")} AS day, o.owner_id AS who, -r.amount AS v
    FROM refunds r JOIN orders o ON o.id = r.order_id
    WHERE {LIVE_ORDER} AND r.refunded_at >= :start AND r.refunded_at < :end"""
PROFIT = f"""
    SELECT {{key}}, sum(v) FROM (
        SELECT o.signed_on::text AS day, o.owner_id AS who, o.amount AS v FROM orders o
        WHERE {LIVE_ORDER} AND o.signed_on BETWEEN :first AND :last
        UNION ALL
        SELECT o.signed_on::text, o.owner_id, -l.quantity * p.cost FROM order_lines l
        JOIN orders o ON o.id = l.order_id JOIN products p ON p.id = l.product_id
        WHERE {LIVE_ORDER} AND o.signed_on BETWEEN :first AND :last
        UNION ALL SELECT day, who, v FROM ({REFUNDS}) r) f GROUP BY 1"""
MONEY_BY_MONTH = """
    SELECT substr(e.occurred_on::text, 1, 7), sum(e.amount) FROM expenses e
    WHERE e.kind = '{}' AND e.status <> 'rejected' AND e.owner_id = ANY(:owners)
      AND e.occurred_on BETWEEN :first AND :last GROUP BY 1"""
# Several statements: the baseline is their time together; the total compared is the last's.
NAIVE: dict[str, str | tuple[str, ...]] = {
    "payments received by day": f"""
        SELECT day, sum(v) FROM (
            SELECT p.paid_on::text AS day, p.amount AS v FROM payment_records p
            JOIN orders o ON o.id = p.order_id
            WHERE {LIVE_ORDER} AND p.paid_on BETWEEN :first AND :last
            UNION ALL SELECT day, v FROM ({REFUNDS}) r) f GROUP BY day""",
    "deal total by month": f"""
        SELECT substr(day, 1, 7), sum(v) FROM (
            SELECT o.signed_on::text AS day, o.amount AS v FROM orders o
            WHERE {LIVE_ORDER} AND o.signed_on BETWEEN :first AND :last
            UNION ALL SELECT day, v FROM ({REFUNDS}) r) f GROUP BY 1""",
    "leaderboard: deal total by person": f"""
        SELECT who, sum(v) FROM (
            SELECT o.owner_id AS who, o.amount AS v FROM orders o
            WHERE {LIVE_ORDER} AND o.signed_on BETWEEN :first AND :last
            UNION ALL SELECT who, v FROM ({REFUNDS}) r) f GROUP BY who""",
    "leaderboard: new customers by department": """
        SELECT u.department_id, count(*) FROM customers c JOIN users u ON u.id = c.created_by_id
        WHERE c.deleted_at IS NULL AND c.created_at >= :start AND c.created_at < :end
          AND c.created_by_id = ANY(:owners) GROUP BY u.department_id""",
    "products by product": (
        """SELECT l.product_id, count(DISTINCT p.customer_id) FROM opportunities p
           JOIN customers c ON c.id = p.customer_id
           JOIN orders o ON o.opportunity_id = p.id AND o.deleted_at IS NULL
           JOIN order_lines l ON l.order_id = o.id
           WHERE c.deleted_at IS NULL AND p.created_at >= :start AND p.created_at < :end
             AND p.owner_id = ANY(:owners) GROUP BY l.product_id""",
        f"""SELECT l.product_id, sum(l.quantity), sum(l.amount)
            FROM order_lines l JOIN orders o ON o.id = l.order_id
            WHERE {LIVE_ORDER} AND o.signed_on BETWEEN :first AND :last
            GROUP BY l.product_id""",
    ),
    "custom: product customers (buyers) by product": f"""
        SELECT l.product_id, count(DISTINCT o.customer_id)
        FROM order_lines l JOIN orders o ON o.id = l.order_id
        WHERE {LIVE_ORDER} AND o.signed_on BETWEEN :first AND :last GROUP BY l.product_id""",
    "intent products by product category": """
        SELECT d.category_id, count(DISTINCT l.product_id) FROM opportunities p
        JOIN customers c ON c.id = p.customer_id
        JOIN orders o ON o.opportunity_id = p.id AND o.deleted_at IS NULL
        JOIN order_lines l ON l.order_id = o.id JOIN products d ON d.id = l.product_id
        WHERE c.deleted_at IS NULL AND p.created_at >= :start AND p.created_at < :end
          AND p.owner_id = ANY(:owners) GROUP BY d.category_id""",
    "intent customers by source": """
        SELECT c.source_id, count(DISTINCT p.customer_id) FROM opportunities p
        JOIN customers c ON c.id = p.customer_id
        WHERE c.deleted_at IS NULL AND p.created_at >= :start AND p.created_at < :end
          AND p.owner_id = ANY(:owners) GROUP BY c.source_id""",
    "follow-ups by day": f"""
        SELECT {LOCAL.format("f.followed_at")}, count(*) FROM follow_ups f
        WHERE f.followed_at >= :start AND f.followed_at < :end AND f.author_id = ANY(:owners)
          AND EXISTS (SELECT 1 FROM customers c WHERE c.id = f.customer_id
                      AND c.deleted_at IS NULL) GROUP BY 1""",
    "combined by person (5 metrics)": (
        """SELECT c.created_by_id, count(*) FROM customers c WHERE c.deleted_at IS NULL
           AND c.created_at >= :start AND c.created_at < :end
           AND c.created_by_id = ANY(:owners) GROUP BY 1""",
        """SELECT g.actor_id, count(*) FROM operation_logs g WHERE g.entity_type = 'customer'
           AND g.action = 'claim' AND g.created_at >= :start AND g.created_at < :end
           AND g.actor_id = ANY(:owners) GROUP BY 1""",
        f"""SELECT who, sum(v) FROM (
            SELECT o.owner_id AS who, o.amount AS v FROM orders o
            WHERE {LIVE_ORDER} AND o.signed_on BETWEEN :first AND :last
            UNION ALL SELECT who, v FROM ({REFUNDS}) r) f GROUP BY who""",
        f"""SELECT o.owner_id, sum(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id
           WHERE {LIVE_ORDER} AND o.signed_on BETWEEN :first AND :last GROUP BY 1""",
        PROFIT.format(key="who"),
    ),
    "custom: profit, income, expense by month": (
        PROFIT.format(key="substr(day, 1, 7)"),
        MONEY_BY_MONTH.format("income"),
        MONEY_BY_MONTH.format("expense"),
    ),
}


def reports(principal: Principal) -> dict[str, Callable[[Any], Awaitable[statistics.Report]]]:
    def r(metrics: list[Metric], by: Dimension) -> Callable[[Any], Awaitable[statistics.Report]]:
        return lambda s: statistics.report(s, principal, metrics, by, FIRST, LAST)

    return {
        "payments received by day": r([Metric.PAYMENTS_RECEIVED], Dimension.DAY),
        "deal total by month": r([Metric.DEAL_TOTAL], Dimension.MONTH),
        "leaderboard: deal total by person": lambda s: statistics.leaderboard(
            s, principal, Metric.DEAL_TOTAL, Dimension.USER, FIRST, LAST
        ),
        "leaderboard: new customers by department": lambda s: statistics.leaderboard(
            s, principal, Metric.NEW_CUSTOMERS, Dimension.DEPARTMENT, FIRST, LAST
        ),
        "products by product": r(list(statistics.PRODUCT_REPORT), Dimension.PRODUCT),
        "custom: product customers (buyers) by product": r(
            [Metric.PRODUCT_CUSTOMERS], Dimension.PRODUCT
        ),
        "intent customers by source": r([Metric.INTENT_CUSTOMERS], Dimension.CUSTOMER_SOURCE),
        "intent products by product category": r(
            [Metric.INTENT_PRODUCTS], Dimension.PRODUCT_CATEGORY
        ),
        "follow-ups by day": r([Metric.FOLLOW_UPS], Dimension.DAY),
        "combined by person (5 metrics)": r(list(statistics.COMBINED), Dimension.USER),
        "custom: profit, income, expense by month": r(
            [Metric.PROFIT, Metric.INCOME, Metric.EXPENSE], Dimension.MONTH
        ),
        "customers by city (all)": lambda s: statistics.customer_profile(
            s, principal, Dimension.CITY
        ),
    }


async def measure(
    database: Database, run: Callable[[Any], Awaitable[Any]], samples: int
) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(samples):
        async with database.reader() as session:
            started = time.perf_counter()
            result = await run(session)
            times.append((time.perf_counter() - started) * 1000)
    return times, result


async def measure_pair(
    database: Database,
    ours: Callable[[Any], Awaitable[Any]],
    naive: Callable[[Any], Awaitable[Any]],
    samples: int,
) -> tuple[list[float], Any, list[float], Any]:
    """Both, one sample of each in turn: on a shared machine they then see the same load."""
    ours_times: list[float] = []
    naive_times: list[float] = []
    ours_result: Any = None
    naive_result: Any = None
    for _ in range(samples):
        [t], ours_result = await measure(database, ours, 1)
        ours_times.append(t)
        [t], naive_result = await measure(database, naive, 1)
        naive_times.append(t)
    return ours_times, ours_result, naive_times, naive_result


async def commission_plans(database: Database, sales: list[int], managers: list[int]) -> None:
    now = datetime.now(UTC)
    quarterly = commission.Rules(
        basis=commission.Basis.TOTAL, period=commission.PeriodKind.QUARTER,
        member_ids=tuple(sales[: len(sales) // 2]), tier_mode=commission.TierMode.MARGINAL,
        tiers=(commission.Tier(Decimal(0), Decimal("0.01")),
               commission.Tier(Decimal(100000), Decimal("0.03"))),
    )  # fmt: skip
    collected = commission.Rules(
        basis=commission.Basis.TOTAL, period=commission.PeriodKind.MONTH,
        counting=commission.Counting.PAYMENTS, method=commission.Method.PERCENT_OF_MARGIN,
        member_ids=tuple(sales[len(sales) // 2 :]),
        tiers=(commission.Tier(Decimal(0), Decimal("0.05")),),
    )  # fmt: skip
    by_product = commission.Rules(
        basis=commission.Basis.PRODUCT, period=commission.PeriodKind.YEAR,
        member_ids=tuple(sales),
        products=tuple(commission.ProductRule(p, commission.Method.FIXED, Decimal("0.5"))
                       for p in range(1, 11)),
    )  # fmt: skip
    management = commission.Rules(
        basis=commission.Basis.TOTAL, period=commission.PeriodKind.YEAR,
        member_ids=tuple(managers), tiers=(commission.Tier(Decimal(0), Decimal("0.002")),),
    )  # fmt: skip
    async with database.writer() as session, session.begin():
        for name, kind, rules in (
            ("Quarterly", CommissionKind.SALES, quarterly),
            ("Collected", CommissionKind.SALES, collected),
            ("Products", CommissionKind.SALES, by_product),
            ("Managers", CommissionKind.MANAGEMENT, management),
        ):
            plan = CommissionPlan(name=name, kind=kind, created_at=now, updated_at=now)
            session.add(plan)
            await session.flush()
            session.add(CommissionPlanVersion(plan_id=plan.id, effective_from=date(2025, 1, 1),
                                              rules=rules.to_json(), created_at=now))  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--salespeople", type=int, default=50)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="measure the data a previous run loaded (migrated and its sums rebuilt)",
    )
    args = parser.parse_args()
    settings = Settings(database_url=args.database_url, secret_key="b" * 40, scheduler=False)
    print(f"statistics benchmark: {args.customers:,} customers, {args.lines:,} order lines "
          f"over two years, {args.salespeople} salespeople", flush=True)  # fmt: skip
    if args.keep:
        await asyncio.to_thread(upgrade, settings)
        database = Database(settings)
    else:
        database = await fresh_schema(settings)
    try:
        if args.keep:
            org = await loaded_organisation(database)
            await rebuild_sums(database)
        else:
            org = await organisation(database, args.salespeople)
            started = time.perf_counter()
            await load(database, args.customers, args.lines, org["sales"])
            print(f"  loaded in {time.perf_counter() - started:.1f} s", flush=True)
        manager = await principal_of(database, org["managers"][0], DataScope.OWN_AND_SUBORDINATES)
        assert manager.visible_owner_ids is not None
        owners = sorted(manager.visible_owner_ids)
        print(f"  manager1's scope: {len(owners)} people, year {FIRST.year}", flush=True)
        bounds = {"first": FIRST, "last": LAST, "owners": owners,
                  "start": datetime(2025, 12, 31, 16, tzinfo=UTC),
                  "end": datetime(2026, 12, 31, 16, tzinfo=UTC)}  # fmt: skip
        print(f"  {'report':44} {'ours p95':>10} {'naive p95':>10} {'ratio':>6} {'median':>6}")
        for name, run in reports(manager).items():
            if name not in NAIVE:
                ours, report = await measure(database, run, args.samples)
                print(f"  {name:44} {percentile(ours, 0.95):8.1f}ms", flush=True)
                continue
            plain_sql = NAIVE[name]
            statements = tuple(map(text, (plain_sql,) if isinstance(plain_sql, str) else plain_sql))

            async def naive(session: Any, statements: tuple[Any, ...] = statements) -> list[Any]:
                rows: list[Any] = []
                for sql in statements:
                    rows = list((await session.execute(sql, bounds)).all())
                return rows

            ours, report, plain, rows = await measure_pair(database, run, naive, args.samples)
            total = sum((Decimal(row[-1] or 0) for row in rows), Decimal(0))
            # A distinct count's total is over all groups; the naive query has the groups.
            last = report.series[-1]
            distinct = last.metric in statistics.DISTINCT
            mine = sum(last.values, Decimal(0)) if distinct else last.total
            agree = "" if total == mine else f"  (DIFFERENT: naive {total}, ours {mine})"
            ratio = percentile(ours, 0.95) / percentile(plain, 0.95)
            middle = percentile(ours, 0.5) / percentile(plain, 0.5)
            line = (
                f"  {name:44} {percentile(ours, 0.95):8.1f}ms {percentile(plain, 0.95):8.1f}ms "
                f"{ratio:6.2f} {middle:6.2f}{agree}"
            )
            print(line, flush=True)
        if not args.keep:  # a kept database has them already
            await commission_plans(database, org["sales"], org["managers"])
        admin = await principal_of(database, org["admin"], DataScope.ALL)
        year = str(FIRST.year)
        times, found = await measure(
            database, lambda s: commission.commissions(s, admin, year, None, detailed=False), 5
        )
        print(f"RESULT a year's commission for everyone ({len(found)} people, 4 plans, totals): "
              f"p95 {percentile(times, 0.95):.0f} ms, best {min(times):.0f} ms of {len(times)}",
              flush=True)  # fmt: skip
        one = org["sales"][0]
        times, [detail] = await measure(
            database, lambda s: commission.commissions(s, admin, year, [one]), 5
        )
        print(f"RESULT one salesperson's year with its breakdown ({len(detail.lines):,} lines): "
              f"p95 {percentile(times, 0.95):.0f} ms", flush=True)  # fmt: skip
        detailed, _ = await measure(
            database, lambda s: commission.commissions(s, admin, year, None), 1
        )
        print(f"  everyone's year with every breakdown line (baseline): {detailed[0]:.0f} ms",
              flush=True)  # fmt: skip
    finally:
        await database.dispose()


if __name__ == "__main__":
    asyncio.run(main())
