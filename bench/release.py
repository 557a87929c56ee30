"""Benchmark: release 100,000 due customers among 1,000,000 (PostgreSQL).

Our job (``services.pool_release.release_pool``: on PostgreSQL one statement per batch that
locks the candidates with SKIP LOCKED, moves them and derives bans, log entries and
notifications from the UPDATE's RETURNING) against a row-by-row baseline doing the same writes
one customer at a time (select it for update, update it, drop its shares, insert its ban, log
entry and notification, with the same rule helpers and texts as the job), committed every 1,000
customers. The data is reset between the two. The baseline runs on a sample (default 10,000
customers) and is scaled linearly, so the whole benchmark stays within a few minutes; set
BENCH_BASELINE_SAMPLE=100000 for all of it. BENCH_BATCH overrides the job's batch size.

    GQL_CRM_BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/gqlcrm_bench \\
        .venv/bin/python -m bench.release
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bench.jobs import bench_settings, bulk_users, fresh_schema, services_for, timed
from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from gql_crm.db.models import Pool, TemporaryOrigin
from gql_crm.services.pool_release import release_notice, release_pool, release_terms
from gql_crm.services.setting import get_settings

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", 1_000_000))
USERS = 500
SAMPLE = int(os.environ.get("BENCH_BASELINE_SAMPLE", 10_000))
BATCH = int(os.environ["BENCH_BATCH"]) if os.environ.get("BENCH_BATCH") else None
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DUE_AT = NOW - timedelta(days=10)
RECENT = NOW - timedelta(days=1)


async def load(database: Database) -> None:
    """A tenth of the customers are due (temporary, 10 days without follow-up)."""
    async with database.engine.begin() as connection:
        await connection.execute(
            text(
                """
                INSERT INTO customers (kind, name, pool, owner_id, pool_entered_at,
                                       temporary_origin, created_at, updated_at)
                SELECT 'enterprise', 'Customer ' || g,
                       CASE WHEN g % 10 = 0 THEN 'temporary' WHEN g % 10 < 4 THEN 'public'
                            WHEN g % 10 < 7 THEN 'private' ELSE 'temporary' END,
                       CASE WHEN g % 10 BETWEEN 1 AND 3 THEN NULL ELSE 1 + g % :users END,
                       CASE WHEN g % 10 = 0 THEN CAST(:due_at AS timestamptz)
                            ELSE CAST(:recent AS timestamptz) END,
                       CASE WHEN g % 20 = 0 THEN 'claimed'
                            WHEN g % 10 = 0 OR g % 10 >= 7 THEN 'entered' END,
                       CAST(:recent AS timestamptz), CAST(:recent AS timestamptz)
                FROM generate_series(1, :n) g
                """
            ),
            {"users": USERS, "due_at": DUE_AT, "recent": RECENT, "n": CUSTOMERS},
        )


async def reset(database: Database) -> None:
    """Put the due customers back as they were and forget every release."""
    async with database.engine.begin() as connection:
        await connection.execute(
            text(
                """
                UPDATE customers SET pool = 'temporary', owner_id = 1 + id % :users,
                       temporary_origin = CASE WHEN id % 20 = 0 THEN 'claimed' ELSE 'entered' END,
                       pool_entered_at = CAST(:due_at AS timestamptz), release_warned_for = NULL
                WHERE id % 10 = 0
                """
            ),
            {"users": USERS, "due_at": DUE_AT},
        )
        await connection.execute(text("TRUNCATE customer_bans, operation_logs, notifications"))
    async with database.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE customers"))
        # Both timed parts start with the load's (or the previous part's) dirty pages written:
        # otherwise the checkpoint they trigger runs during whichever part comes first.
        await autocommit.execute(text("CHECKPOINT"))


async def row_by_row(database: Database, limit: int) -> int:
    """The naive job: find the due ids, then one customer at a time, writing what ours does."""
    due_sql = text(
        """
        SELECT id FROM customers
        WHERE deleted_at IS NULL AND closed_won_at IS NULL AND owner_id IS NOT NULL
          AND pool = 'temporary' AND pool_entered_at <= :cutoff
          AND (last_follow_up_at IS NULL OR last_follow_up_at <= :cutoff)
        ORDER BY id LIMIT :limit
        """
    )
    async with database.reader() as session:
        settings = await get_settings(session)
    async with database.engine.connect() as connection:
        ids = list(
            (
                await connection.execute(
                    due_sql, {"cutoff": NOW - timedelta(days=7), "limit": limit}
                )
            ).scalars()
        )
    done = 0
    for start in range(0, len(ids), 1000):
        async with database.engine.begin() as connection:
            for customer_id in ids[start : start + 1000]:
                row = (
                    await connection.execute(
                        text(
                            "SELECT id, name, owner_id, pool, temporary_origin FROM customers "
                            "WHERE id = :id FOR UPDATE"
                        ),
                        {"id": customer_id},
                    )
                ).one()
                pool = Pool(row.pool)
                origin = TemporaryOrigin(row.temporary_origin) if row.temporary_origin else None
                terms = release_terms(pool, origin, settings, NOW)
                notice = release_notice(row.id, row.name, terms)
                await connection.execute(
                    text(
                        "UPDATE customers SET owner_id = NULL, pool = 'public', "
                        "temporary_origin = NULL, pool_entered_at = :now, updated_at = :now, "
                        "release_warned_for = NULL WHERE id = :id"
                    ),
                    {"id": customer_id, "now": NOW},
                )
                await connection.execute(
                    text("DELETE FROM customer_shares WHERE customer_id = :id"),
                    {"id": customer_id},
                )
                await connection.execute(
                    text(
                        "INSERT INTO customer_bans (customer_id, user_id, reason, until, "
                        "created_at) VALUES (:id, :owner, :reason, :until, :now)"
                    ),
                    {
                        "id": customer_id,
                        "owner": row.owner_id,
                        "reason": str(terms.reason),
                        "until": terms.until,
                        "now": NOW,
                    },
                )
                changes = {"pool": [str(pool), str(Pool.PUBLIC)], "ownerId": [row.owner_id, None]}
                await connection.execute(
                    text(
                        "INSERT INTO operation_logs (actor_id, entity_type, entity_id, action, "
                        "changes, created_at) VALUES (NULL, 'customer', :id, 'release', "
                        "CAST(:changes AS json), :now)"
                    ),
                    {"id": customer_id, "changes": json.dumps(changes), "now": NOW},
                )
                await connection.execute(
                    text(
                        "INSERT INTO notifications (user_id, category, kind, title, body, "
                        "link_type, link_id, created_at) VALUES (:owner, :category, :kind, "
                        ":title, :body, :link_type, :link_id, :now)"
                    ),
                    {
                        "owner": row.owner_id,
                        "category": str(notice.category),
                        "kind": notice.kind,
                        "title": notice.title,
                        "body": notice.body,
                        "link_type": notice.link_type,
                        "link_id": notice.link_id,
                        "now": NOW,
                    },
                )
                done += 1
    return done


async def count(database: Database, sql: str) -> int:
    async with database.engine.connect() as connection:
        return int((await connection.execute(text(sql))).scalar_one())


async def main() -> None:
    settings = bench_settings()
    times: dict[str, float] = {}
    batch = "the job's default" if BATCH is None else f"{BATCH:,}"
    print(f"release benchmark: {CUSTOMERS:,} customers, {CUSTOMERS // 10:,} due, batch {batch}")
    database = await fresh_schema(settings)
    try:
        await bulk_users(database, USERS)
        with timed("load", times):
            await load(database)
        await reset(database)

        services = await services_for(settings, database, FrozenClock(NOW))
        with timed("our job", times):
            released = await release_pool(services, batch_size=BATCH)
        assert len(released) == CUSTOMERS // 10, len(released)
        for table in ("customer_bans", "operation_logs", "notifications"):
            assert await count(database, f"SELECT count(*) FROM {table}") == len(released)
        assert await release_pool(services) == []  # nothing left

        await reset(database)
        with timed(f"row-by-row baseline ({SAMPLE:,} customers)", times):
            done = await row_by_row(database, SAMPLE)
        baseline = times[f"row-by-row baseline ({SAMPLE:,} customers)"] * len(released) / done
        ours = times["our job"]
        print(f"  row-by-row baseline, scaled to {len(released):,}: {baseline:.1f} s")
        print(
            f"RESULT release {len(released):,} of {CUSTOMERS:,}: ours {ours:.2f} s, "
            f"row-by-row {baseline:.1f} s, {baseline / ours:.1f}x faster"
        )
        await services.bus.disconnect()
    finally:
        await database.dispose()


if __name__ == "__main__":
    asyncio.run(main())
