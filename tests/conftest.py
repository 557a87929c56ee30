"""Fixtures shared by the whole suite.

The suite runs on SQLite by default. With GQL_CRM_TEST_DATABASE_URL (PostgreSQL) and
GQL_CRM_TEST_REDIS_URL set, the same tests run against those services, and a service that
is configured but unreachable fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry
from argon2 import PasswordHasher
from graphql import ASTValidationRule
from redis.asyncio import Redis
from sqlalchemy import make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette

from gql_crm.app import create_app
from gql_crm.auth import passwords
from gql_crm.clock import FrozenClock
from gql_crm.db.base import Base
from gql_crm.db.engine import Database
from gql_crm.db.migrate import upgrade
from gql_crm.db.models import MaturityOption
from gql_crm.schema import build_schema
from gql_crm.seed.demo import seed_organisation
from gql_crm.services.setting import ensure_defaults
from gql_crm.services.unit_of_work import Services
from gql_crm.settings import Settings
from gql_crm.web import graphql_view
from tests.fixtures.live_server import started
from tests.graphql_client import GraphQLClient

pytest_plugins = ["tests.fixtures.s3"]  # a local S3-compatible server, for the tests that ask

DEMO_PASSWORD = "demo-password"
# Real Argon2, at minimal cost: a hash carries its parameters, and at the default ones every
# sign-in of the suite would take 0.1-0.5 s.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
# Hashed once: every test seeds the demo users afresh.
DEMO_PASSWORD_HASH = CHEAP_HASHER.hash(DEMO_PASSWORD)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# Under pytest-xdist each process ("gw0", "gw1"...) has a database and a Redis database of
# its own, beside the ones configured: tests empty and fill them freely.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def _per_worker_database(url: str | None) -> str | None:
    """``…/test`` as ``…/test_gw1`` in process gw1 (created by ``migrated`` if missing)."""
    if url is None or WORKER is None:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{WORKER}").render_as_string(hide_password=False)


def _per_worker_redis(url: str | None) -> str | None:
    """``redis://…/15`` as ``redis://…/14`` in process gw1: the next database down (mod 16)."""
    if url is None or WORKER is None:
        return url
    base, _, number = url.rpartition("/")
    return f"{base}/{(int(number or 0) - int(WORKER.removeprefix('gw'))) % 16}"


# Where fixtures keep copies of data that takes long to make (PostgreSQL): made again by
# every run, as the schema may have changed.
SNAPSHOTS = "test_snapshots"

CONFIGURED_DATABASE_URL = os.environ.get("GQL_CRM_TEST_DATABASE_URL")
TEST_DATABASE_URL = _per_worker_database(CONFIGURED_DATABASE_URL)
TEST_REDIS_URL = _per_worker_redis(os.environ.get("GQL_CRM_TEST_REDIS_URL"))


def pytest_report_header() -> list[str]:
    return [
        f"database: {TEST_DATABASE_URL or 'SQLite (temporary file)'}",
        f"redis: {TEST_REDIS_URL or 'not configured (Redis tests skip)'}",
    ]


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir: Path = tmp_path_factory.mktemp("data")
    return Settings(
        data_dir=data_dir,
        database_url=TEST_DATABASE_URL or f"sqlite+aiosqlite:///{data_dir / 'test.sqlite3'}",
        redis_url=TEST_REDIS_URL,
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        debug=False,
        graphiql=True,
        introspection=True,
        scheduler=False,  # jobs run when a test runs them, not when the wall clock says
        # Runs sharing a Redis (a developer's and CI's) must not hear each other's events.
        bus_namespace=f"gql-crm-test-{uuid.uuid4().hex[:12]}",
        # Counted on every request, but out of reach: the suite's users send hundreds a
        # second. tests/edge/test_rate_limits.py sets small limits of its own.
        rate_limit="100000/second",
    )


@pytest.fixture(scope="session")
async def migrated(settings: Settings) -> None:
    """A fresh schema built by the migrations themselves (not by metadata.create_all)."""
    if CONFIGURED_DATABASE_URL != TEST_DATABASE_URL:
        await _create_database(settings)
    database = Database(settings)
    try:
        await database.ping()  # a configured but unreachable database fails here, loudly
        async with database.engine.begin() as connection:
            if database.dialect == "postgresql":
                await connection.execute(text("DROP SCHEMA public CASCADE"))
                await connection.execute(text("CREATE SCHEMA public"))
                await connection.execute(text(f"DROP SCHEMA IF EXISTS {SNAPSHOTS} CASCADE"))
    finally:
        await database.dispose()
    await asyncio.to_thread(upgrade, settings)


async def _create_database(settings: Settings) -> None:
    """This process's own database, made beside the configured one if it is not there yet."""
    assert CONFIGURED_DATABASE_URL is not None
    name = make_url(settings.resolved_database_url).database
    configured = create_async_engine(CONFIGURED_DATABASE_URL, isolation_level="AUTOCOMMIT")
    try:
        async with configured.connect() as connection:  # unreachable: fails here, loudly
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        await configured.dispose()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Passwords hashed and unknown login names checked at the suite's cost (CHEAP_HASHER)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", CHEAP_HASHER)
        patch.setattr(passwords, "_DUMMY_HASH", CHEAP_HASHER.hash("not-a-real-password"))
        yield


@pytest.fixture(scope="session", autouse=True)
def schema_built_once_per_settings() -> Iterator[None]:
    """Each app a test starts builds its GraphQL schema from its settings (0.15-0.3 s a
    test); apps of equal settings share one, as a server's requests share its one. Not with
    tracing on: the schema keeps the tracer provider a test chose."""
    built: dict[str, strawberry.Schema] = {}

    def build(settings: Settings, limits: list[type[ASTValidationRule]]) -> strawberry.Schema:
        if settings.tracing != "off":
            return build_schema(settings, limits)
        key = settings.model_dump_json()
        if key not in built:
            built[key] = build_schema(settings, limits)
        return built[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(graphql_view, "build_schema", build)
        yield


@pytest.fixture(scope="session", autouse=True)
async def configured_services_are_reachable(settings: Settings) -> None:
    """A configured Redis that cannot be reached fails the run; it never skips."""
    if settings.redis_url:
        async with Redis.from_url(settings.redis_url, socket_timeout=5) as redis:
            await redis.ping()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


# DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE gives each of the ~70 tables new files,
# about 0.2 s a test, where deleting the few rows a test wrote takes milliseconds. RESTRICT keys
# are checked row by row, so the tree is cut before it is emptied.
EMPTY_TABLES = [
    "UPDATE departments SET manager_id = NULL, parent_id = NULL",
    "UPDATE users SET department_id = NULL",
    *(f"DELETE FROM {table.name}" for table in reversed(Base.metadata.sorted_tables)),
]
# On PostgreSQL: without the foreign keys' triggers, which checked every row deleted from
# a referenced table against each table referencing it (most of the reset's time; every row
# goes anyway), and with the ids starting again at 1, as on a new database.
EMPTY_POSTGRESQL = ";\n".join(
    [
        "SET LOCAL session_replication_role = replica",
        *EMPTY_TABLES,
        "SELECT setval(sequence.oid, 1, false) FROM pg_class sequence"
        " WHERE sequence.relkind = 'S' AND sequence.relnamespace = 'public'::regnamespace",
        "SET LOCAL session_replication_role = origin",
    ]
)


@pytest.fixture
async def database(settings: Settings, migrated: None) -> AsyncIterator[Database]:
    """The database, emptied and given its default settings and the demo company."""
    database = Database(settings)
    async with database.writer() as session, session.begin():
        if database.dialect == "postgresql":
            driver = (await (await session.connection()).get_raw_connection()).driver_connection
            assert driver is not None
            await driver.execute(EMPTY_POSTGRESQL)  # one round trip, statements and all
        else:
            for statement in EMPTY_TABLES:
                await session.execute(text(statement))
        await ensure_defaults(session)
        await seed_organisation(session, password_hash=DEMO_PASSWORD_HASH, now=START)
    yield database
    await database.dispose()


@pytest.fixture
async def app(
    settings: Settings, database: Database, clock: FrozenClock
) -> AsyncIterator[Starlette]:
    application = create_app(settings, clock=clock)
    async with started(application):
        yield application


@pytest.fixture
def services(app: Starlette) -> Services:
    return app.state.services  # type: ignore[no-any-return]


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def gql(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


@pytest.fixture
async def grades(services: Services) -> dict[str, int]:
    """Maturity label -> id of the default grades (A to J)."""
    async with services.database.reader() as session:
        return {m.label: m.id for m in await session.scalars(select(MaturityOption))}


def _signed_in(login_name: str) -> Any:
    """A fixture: a client signed in as this demo user."""

    async def client(gql: GraphQLClient) -> GraphQLClient:
        return await gql.as_user(login_name)

    return pytest.fixture(client, name=login_name)


admin = _signed_in("admin")
manager1 = _signed_in("manager1")
sales1 = _signed_in("sales1")
sales2 = _signed_in("sales2")
sales3 = _signed_in("sales3")


@pytest.fixture(params=["sales1", "manager1"])
async def non_admin(request: pytest.FixtureRequest, gql: GraphQLClient) -> GraphQLClient:
    """Signed in, in turn, as a sales rep and as a sales manager: no administrator rights."""
    return await gql.as_user(request.param)


@pytest.fixture
def redis_url() -> Iterator[str]:
    if not TEST_REDIS_URL:
        pytest.skip("GQL_CRM_TEST_REDIS_URL is not set")
    yield TEST_REDIS_URL
