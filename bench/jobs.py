"""What the job benchmarks (release, daily report) share: a fresh schema and bulk users."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from gql_crm.clock import Clock
from gql_crm.db.engine import Database
from gql_crm.db.migrate import upgrade
from gql_crm.services.setting import ensure_defaults
from gql_crm.services.unit_of_work import Services
from gql_crm.settings import Settings
from gql_crm.subscriptions.bus import Bus

DATABASE_URL = os.environ.get(
    "GQL_CRM_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/gqlcrm_bench"
)


def bench_settings() -> Settings:
    return Settings(
        database_url=DATABASE_URL,
        secret_key="benchmark-secret-key-that-is-long-enough",
        scheduler=False,
    )


async def fresh_schema(settings: Settings) -> Database:
    """Drop everything in the benchmark database and migrate it from scratch."""
    database = Database(settings)
    async with database.engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await database.dispose()
    await asyncio.to_thread(upgrade, settings)
    database = Database(settings)
    async with database.writer() as session, session.begin():
        await ensure_defaults(session)
    return database


async def bulk_users(database: Database, n: int) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO users (login_name, password_hash, name, is_active, token_version, "
                "created_at) SELECT 'user' || g, 'x', 'User ' || g, true, 1, now() "
                "FROM generate_series(1, :n) g"
            ),
            {"n": n},
        )


async def services_for(settings: Settings, database: Database, clock: Clock) -> Services:
    bus = Bus("memory://")
    await bus.connect()
    return Services(settings=settings, database=database, clock=clock, bus=bus)


@contextmanager
def timed(label: str, into: dict[str, float]) -> Iterator[None]:
    started = time.perf_counter()
    yield
    into[label] = time.perf_counter() - started
    print(f"  {label}: {into[label]:.2f} s", flush=True)
