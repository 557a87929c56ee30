"""Benchmark: the daily report for 1,000 users over one day holding 100,000 activity records
among 2,000,000 (PostgreSQL).

    GQL_CRM_BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/gqlcrm_bench \\
        .venv/bin/python -m bench.daily_report
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text

from bench.jobs import bench_settings, bulk_users, fresh_schema, services_for, timed
from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from gql_crm.services import report

USERS = 1000
DAY = date(2026, 3, 1)
DAY_START = datetime(2026, 2, 28, 16, 0, tzinfo=UTC)  # midnight in Asia/Shanghai
SPAN_DAYS = 20  # records spread over 20 days: one in twenty falls on the day
# table -> rows; 2,000,000 in all
ROWS = {
    "customers": 200_000,
    "follow_ups": 1_000_000,
    "operation_logs": 500_000,
    "opportunities": 100_000,
    "opportunity_changes": 100_000,
    "orders": 50_000,
    "payment_records": 25_000,
    "expenses": 25_000,
}
# created_at spread pseudo-randomly over the span around the day
AT = "CAST(:base AS timestamptz) + make_interval(secs => (g::bigint * 7919) % :span)"

LOADS = {
    "customers": f"""
        INSERT INTO customers (kind, name, pool, pool_entered_at, created_by_id, created_at,
                               updated_at)
        SELECT 'enterprise', 'Customer ' || g, 'public', {AT}, 1 + g % :users, {AT}, {AT}
        FROM generate_series(1, :n) g""",
    "follow_ups": f"""
        INSERT INTO follow_ups (customer_id, method_id, content, followed_at, author_id,
                                created_at)
        SELECT 1 + g % 200000, (SELECT array_agg(id) FROM option_items
                                WHERE list = 'follow_up_method')[1 + g % 5],
               'called', {AT}, 1 + g % :users, {AT}
        FROM generate_series(1, :n) g""",
    "operation_logs": f"""
        INSERT INTO operation_logs (actor_id, entity_type, entity_id, action, changes,
                                    created_at)
        SELECT CASE WHEN g % 4 = 0 THEN NULL ELSE 1 + g % :users END, 'customer',
               1 + g % 200000, (ARRAY['release', 'claim', 'transfer', 'share'])[1 + g % 4],
               json_build_object('ownerId', json_build_array(1 + (g / 4) % :users, NULL)),
               {AT}
        FROM generate_series(1, :n) g""",
    "opportunities": f"""
        INSERT INTO opportunities (customer_id, title, stage_id, amount, probability,
                                   owner_id, created_by_id, created_at, updated_at)
        SELECT 1 + g % 200000, 'Deal ' || g, (SELECT min(id) FROM opportunity_stages), 1000,
               20, 1 + g % :users, 1 + g % :users, {AT}, {AT}
        FROM generate_series(1, :n) g""",
    "opportunity_changes": f"""
        INSERT INTO opportunity_changes (opportunity_id, changed_by_id, changed_at,
                                         from_stage_id, to_stage_id, to_amount,
                                         to_probability)
        SELECT g, 1 + g % :users, {AT}, (SELECT min(id) FROM opportunity_stages),
               (SELECT max(id) FROM opportunity_stages), 1000, 40
        FROM generate_series(1, :n) g""",
    "orders": f"""
        INSERT INTO orders (customer_id, title, amount, amount_is_explicit, owner_id,
                            created_by_id, created_at, updated_at)
        SELECT 1 + g % 200000, 'Order ' || g, 100 + g % 900, true, 1 + g % :users,
               1 + g % :users, {AT}, {AT}
        FROM generate_series(1, :n) g""",
    "payment_records": f"""
        INSERT INTO payment_records (order_id, sequence, paid_on, amount, invoiced,
                                     created_by_id, created_at)
        SELECT g, 1, DATE '2026-03-01', 50, false, 1 + g % :users, {AT}
        FROM generate_series(1, :n) g""",
    "expenses": f"""
        INSERT INTO expenses (kind, amount, occurred_on, description, owner_id, status,
                              created_at, updated_at)
        SELECT 'expense', 10 + g % 90, DATE '2026-03-01', 'taxi', 1 + g % :users,
               'approved', {AT}, {AT}
        FROM generate_series(1, :n) g""",
}
TIME_COLUMN = {"opportunity_changes": "changed_at"}


async def load(database: Database) -> int:
    """Bulk-load every table; returns how many records fall on the day."""
    params = {
        "base": DAY_START - timedelta(days=SPAN_DAYS // 2),
        "span": SPAN_DAYS * 86400,
        "users": USERS,
    }
    on_the_day = 0
    for table, n in ROWS.items():
        async with database.engine.begin() as connection:
            await connection.execute(text(LOADS[table]), {**params, "n": n})
            column = TIME_COLUMN.get(table, "created_at")
            on_the_day += (
                await connection.execute(
                    text(f"SELECT count(*) FROM {table} WHERE {column} >= :s AND {column} < :e"),
                    {"s": DAY_START, "e": DAY_START + timedelta(days=1)},
                )
            ).scalar_one()
    async with database.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE"))
    return int(on_the_day)


async def main() -> None:
    settings = bench_settings()
    times: dict[str, float] = {}
    print(f"daily report benchmark: {USERS:,} users, {sum(ROWS.values()):,} records")
    database = await fresh_schema(settings)
    try:
        await bulk_users(database, USERS)
        with timed("load", times):
            on_the_day = await load(database)
        print(f"  records on {DAY}: {on_the_day:,}")
        services = await services_for(
            settings, database, FrozenClock(DAY_START + timedelta(days=1, hours=1))
        )
        with timed("daily report", times):
            written = await report.generate(services, DAY, notify_users=True)
        with timed("re-run (replaces the day)", times):
            assert await report.generate(services, DAY) == written
        print(
            f"RESULT daily report for {written:,} users over {on_the_day:,} of "
            f"{sum(ROWS.values()):,} records: {times['daily report']:.2f} s "
            f"(re-run {times['re-run (replaces the day)']:.2f} s)"
        )
        await services.bus.disconnect()
    finally:
        await database.dispose()


if __name__ == "__main__":
    asyncio.run(main())
