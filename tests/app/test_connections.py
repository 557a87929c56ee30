"""Pooled PostgreSQL connections that the server closed are replaced before a request uses
them (a restart, an idle timeout or an administrator ends every connection)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

from gql_crm.db import engine
from gql_crm.db.engine import Database, SharedReads
from gql_crm.services.unit_of_work import Services
from gql_crm.settings import Settings
from tests.graphql_client import GraphQLClient

TERMINATE_OTHERS = """
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The connections pinged while the test runs (the pool's pre-use check and ours)."""
    pinged: list[object] = []
    ping = AsyncAdapt_asyncpg_connection.ping

    def counted_ping(connection: AsyncAdapt_asyncpg_connection) -> None:
        pinged.append(connection)
        ping(connection)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counted_ping)
    return pinged


@pytest.mark.postgres
async def test_requests_survive_the_server_closing_pooled_connections(
    admin: GraphQLClient, services: Services, database: Database
) -> None:
    if database.dialect != "postgresql":
        pytest.skip("PostgreSQL's connections")
    view = "{ me { loginName } customer(id: 1) { id } }"
    await asyncio.gather(*(admin.data(view) for _ in range(5)))  # several pooled connections
    await asyncio.sleep(0.1)  # the requests' reads give their connections back
    assert services.database.engine.pool.checkedin() > 0  # type: ignore[attr-defined]
    async with database.engine.connect() as connection:
        ended = await connection.scalar(text(TERMINATE_OTHERS))
    assert ended and ended > 0
    await asyncio.sleep(0.2)  # the sockets' ends reach the event loop
    for _ in range(5):
        assert (await admin.data(view))["me"] == {"loginName": "admin"}


@pytest.mark.postgres
async def test_idle_connections_are_pinged_before_use(
    admin: GraphQLClient, database: Database, monkeypatch: pytest.MonkeyPatch, pings: list[object]
) -> None:
    """A connection idle past the limit is pinged at check-out; a dead one is replaced."""
    if database.dialect != "postgresql":
        pytest.skip("PostgreSQL's connections")
    view = "{ me { loginName } }"
    await admin.data(view)
    await admin.data(view)
    assert pings == []  # used a moment ago: no ping
    monkeypatch.setattr(engine, "IDLE_PING_SECONDS", 0.0)
    # The last request's reads keep their connection for SharedReads.IDLE_SECONDS: checked
    # out before it is back, the pool would open a new one, never checked in, never pinged.
    await asyncio.sleep(SharedReads.IDLE_SECONDS * 5)
    assert (await admin.data(view))["me"] == {"loginName": "admin"}
    assert pings
    async with database.engine.connect() as connection:
        await connection.scalar(text(TERMINATE_OTHERS))
    for _ in range(3):
        assert (await admin.data(view))["me"] == {"loginName": "admin"}


@pytest.mark.postgres
async def test_compiled_reads_are_planned_generically_and_other_statements_as_chosen(
    database: Database,
) -> None:
    """A compiled read's statement runs with a generic plan; the next statement SQLAlchemy
    sends on that connection is planned for its values again. Inside a transaction the
    setting is left alone (a rollback would undo it unseen)."""
    if database.dialect != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    mode = "SELECT current_setting('plan_cache_mode')"
    async with database.reader() as session:
        driver = await engine.session_driver(session)
        assert await engine.fetch_text(driver, mode, []) == "force_generic_plan"
        assert await engine.fetch_text(driver, mode, []) == "force_generic_plan"
        assert await session.scalar(text(mode)) == "auto"
    async with database.reader() as session:
        assert await session.scalar(text(mode)) == "auto"  # a transaction has begun
        assert await engine.fetch_text(await engine.session_driver(session), mode, []) == "auto"
    # A pooled connection checked out without a session, as a request's compiled read takes
    # one: the same.
    async with database.driver() as driver:
        assert await engine.fetch_text(driver, mode, []) == "force_generic_plan"


@pytest.mark.postgres
async def test_the_planner_costs_random_reads_as_the_settings_say(
    database: Database, settings: Settings
) -> None:
    """1.1 by default (SSDs, data in memory); a blank setting keeps the server's own."""
    if database.dialect != "postgresql":
        pytest.skip("PostgreSQL's planner")
    cost = "SELECT current_setting('random_page_cost')"
    async with database.reader() as session:
        assert await session.scalar(text(cost)) == "1.1"
    plain = await asyncpg.connect(settings.resolved_database_url.replace("+asyncpg", ""))
    try:
        server = await plain.fetchval("SHOW random_page_cost")  # the server's own
    finally:
        await plain.close()
    kept = Database(settings.model_copy(update={"db_random_page_cost": None}))
    try:
        async with kept.reader() as session:
            assert await session.scalar(text(cost)) == server
    finally:
        await kept.dispose()
    blank = Settings.model_validate({"db_random_page_cost": "  "})
    assert blank.db_random_page_cost is None


@pytest.mark.postgres
async def test_statements_sent_straight_take_turns(settings: Settings, database: Database) -> None:
    """No more than ``db_statements_at_once`` of a process's statements are in PostgreSQL at
    a time; the others wait, and each still runs."""
    if database.dialect != "postgresql":
        pytest.skip("statements sent straight to asyncpg")
    limited = Database(settings.model_copy(update={"db_statements_at_once": 2}))
    inside = most = 0

    async def read(n: int) -> int:
        nonlocal inside, most
        async with limited.driver() as driver:
            inside += 1
            most = max(most, inside)
            answer: int = await driver.connection.fetchval("SELECT $1::int FROM pg_sleep(0.05)", n)
            inside -= 1
            return answer

    try:
        assert await asyncio.gather(*(read(n) for n in range(6))) == list(range(6))
    finally:
        await limited.dispose()
    assert most == 2


@pytest.mark.postgres
async def test_statements_sent_straight_keep_their_connections_while_they_work(
    settings: Settings, database: Database, monkeypatch: pytest.MonkeyPatch, pings: list[object]
) -> None:
    """A turn's connection is kept checked out for the next turn, not given back to the pool;
    one the server closed is replaced, one idle past the limit is pinged first, one whose
    block failed goes back to the pool (closed if left in a transaction), and the kept ones
    go back when the database is disposed of; one in use then is closed after its block."""
    if database.dialect != "postgresql":
        pytest.skip("statements sent straight to asyncpg")
    kept = Database(settings.model_copy(update={"db_statements_at_once": 1}))
    pool: Any = kept.engine.pool

    async def backend() -> int:
        async with kept.driver() as driver:
            pid: int = await driver.connection.fetchval("SELECT pg_backend_pid()")
            return pid

    try:
        first = await backend()
        assert await backend() == first
        assert pool.checkedout() == 1 and pool.checkedin() == 0
        async with database.engine.connect() as connection:
            await connection.execute(text(f"SELECT pg_terminate_backend({first})"))
        await asyncio.sleep(0.2)  # the socket's end reaches the event loop
        second = await backend()
        assert second != first
        monkeypatch.setattr(engine, "IDLE_PING_SECONDS", 0.0)
        assert await backend() == second
        assert len(pings) == 1
        with pytest.raises(ZeroDivisionError):
            async with kept.driver():
                1 / 0  # noqa: B018
        assert pool.checkedout() == 0
        async with kept.driver() as driver:
            await driver.connection.execute("BEGIN")
        assert driver.connection.is_closed() and pool.checkedout() == 0
        await backend()
        assert pool.checkedout() == 1
        await kept.dispose()
        assert pool.checkedout() == 0
        async with kept.driver() as driver:
            await kept.dispose()  # while a turn holds its connection: closed after it
        assert driver.connection.is_closed()
    finally:
        await kept.dispose()
