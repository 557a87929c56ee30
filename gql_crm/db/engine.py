"""Engine and session factories; dialect differences stay in here."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import event, make_url, text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext import asyncio as sqlalchemy_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import await_only, greenlet_spawn

from gql_crm.private_files import create_private, private_dir, tighten
from gql_crm.settings import Settings

SessionFactory = async_sessionmaker[AsyncSession]


class Database:
    """The engine plus session factories: for reads, for units of work, and for the reads a
    request shares (``SharedReads``), which run without a transaction around them.

    They differ only on SQLite, where a unit of work begins with ``BEGIN IMMEDIATE`` so that a
    read-then-write transaction takes the write lock up front (instead of failing with
    "database is locked" when two writers race), while reads stay concurrent.
    """

    def __init__(self, settings: Settings, **engine_options: Any) -> None:
        self.engine = _create_engine(settings, **engine_options)
        self.dialect = self.engine.dialect.name
        self.reader: SessionFactory = async_sessionmaker(
            self.engine, expire_on_commit=False, autoflush=False
        )
        self.writer: SessionFactory = async_sessionmaker(
            self.engine.execution_options(begin_immediate=True),
            expire_on_commit=False,
            autoflush=False,
        )
        # For SharedReads: every statement on its own, without a transaction around them, so
        # that a request's reads after its own commit see that commit.
        if self.dialect == "postgresql":
            reads = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        else:
            reads = self.engine.execution_options(no_begin=True)
        self.shared_reader: SessionFactory = async_sessionmaker(
            reads, expire_on_commit=False, autoflush=False
        )
        # SharedReads keeping a connection for their request's next wave.
        self.idle_reads: set[SharedReads] = set()
        self._statements_at_once = settings.db_statements_at_once
        self._turns: _Turns | None = None

    def _turn(self) -> _Turns:
        """The turns of this process's statements sent straight to PostgreSQL (one set per
        event loop: a semaphore belongs to the loop it first waits on)."""
        loop = asyncio.get_running_loop()
        if self._turns is None or self._turns.loop is not loop:
            self._turns = _Turns(loop, asyncio.Semaphore(self._statements_at_once))
        return self._turns

    @contextlib.asynccontextmanager
    async def driver(self) -> AsyncIterator[Driver]:
        """A pooled connection's asyncpg connection (PostgreSQL) for statements sent straight
        to it (``fetch_text``, ``fetch_row``), without a session, at most
        ``db_statements_at_once`` blocks at a time.

        The connection stays checked out after the block, for the next turn: a check-out
        and check-in through the pool (two greenlet switches, the pool's events, the reset)
        cost a quarter of the server's CPU for a compiled read. The pool's checks are made
        here instead: a connection the server closed is not used again, one kept idle past
        ``IDLE_PING_SECONDS`` is pinged first, and after an error in the block the
        connection goes back to the pool (closed if the block left it in a transaction)."""
        turns = self._turn()
        async with turns.free:
            pooled = await self._kept_or_checked_out(turns)
            connection: Any = pooled.driver_connection
            keep = False
            try:
                yield Driver(connection, pooled.info, lambda: greenlet_spawn(pooled.invalidate))
                keep = pooled.is_valid
            finally:
                # Disposed of meanwhile (not back to the old pool), or left in a transaction
                # begun on asyncpg itself, which the pool's reset would not end: closed.
                if self._turns is not turns or (pooled.is_valid and connection.is_in_transaction()):
                    await greenlet_spawn(pooled.invalidate)
                    keep = False
                if keep:
                    turns.kept.append((pooled, time.monotonic()))
                else:
                    await greenlet_spawn(pooled.close)

    async def _kept_or_checked_out(self, turns: _Turns) -> PoolProxiedConnection:
        while turns.kept:
            pooled, used_at = turns.kept.pop()
            connection: Any = pooled.dbapi_connection
            try:
                if connection is None or connection.driver_connection.is_closed():
                    raise DisconnectionError("the server closed this connection")
                if time.monotonic() - used_at > IDLE_PING_SECONDS:
                    await greenlet_spawn(connection.ping)
            except Exception:
                await greenlet_spawn(pooled.invalidate)
                await greenlet_spawn(pooled.close)
                continue
            return pooled
        return await self.engine.raw_connection()

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        # Connections checked out at dispose() would go back to the discarded pool, and stay
        # open there: give back the ones request reads are keeping idle first.
        for reads in list(self.idle_reads):
            await reads.release()
        turns, self._turns = self._turns, None
        if turns is not None and turns.loop is asyncio.get_running_loop():
            for pooled, _ in turns.kept:
                await greenlet_spawn(pooled.close)
        await self.engine.dispose()


@dataclass(slots=True)
class _Turns:
    """The turns at sending statements straight to PostgreSQL on one event loop, and the
    connections kept checked out between them, each with the time it was last used."""

    loop: asyncio.AbstractEventLoop
    free: asyncio.Semaphore
    kept: list[tuple[PoolProxiedConnection, float]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Driver:
    """A pooled connection's asyncpg connection, for statements sent straight to it."""

    connection: Any
    info: dict[Any, Any]  # the pooled connection's own, kept across check-outs
    invalidate: Callable[[], Any]  # awaitable: the connection is broken, close it


class Reads(Protocol):
    """Where loaders and list queries read from: a ``Database`` or one request's ``SharedReads``."""

    dialect: str

    def reader(self) -> contextlib.AbstractAsyncContextManager[AsyncSession]: ...

    def driver(self) -> contextlib.AbstractAsyncContextManager[Driver]: ...


class SharedReads:
    """The reads of one request take turns on one connection.

    DataLoaders dispatch a wave of batches at once (a customer view sends about twenty). With a
    pooled connection per batch, every wave emptied the pool, opened overflow connections and
    paid a check-out (with its ping), ``BEGIN`` and ``ROLLBACK`` per statement. Here the first
    batch checks out one connection and the others queue behind it. When the last reader is
    done the connection is kept for ``IDLE_SECONDS``, so the request's next wave (its nested
    fields, a few milliseconds later) reuses it, and is given back after that.

    A request is never left holding an idle connection for longer than that: a mutation's unit
    of work needs a connection of its own, and twenty concurrent mutations each holding an idle
    read connection would otherwise exhaust a pool of twenty and wait for each other.

    The statements run without a transaction around them: each already sees its own committed
    snapshot, and a request's reads after its own commit must see that commit.
    """

    IDLE_SECONDS = 0.01

    def __init__(self, database: Database) -> None:
        self.dialect = database.dialect
        self._database = database
        self._sessions = database.shared_reader
        self._turn = asyncio.Lock()
        self._users = 0
        self._session: AsyncSession | None = None
        self._release: asyncio.TimerHandle | None = None
        self._releasing: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        self._users += 1
        if self._release is not None:
            self._release.cancel()
            self._release = None
        try:
            async with self._turn:
                if self._session is None:
                    self._session = self._sessions()
                yield self._session
        finally:
            self._users -= 1
            if self._users == 0 and self._session is not None:
                loop = asyncio.get_running_loop()
                self._release = loop.call_later(self.IDLE_SECONDS, self._release_when_idle)
                self._database.idle_reads.add(self)

    @contextlib.asynccontextmanager
    async def driver(self) -> AsyncIterator[Driver]:
        """The asyncpg connection for a statement sent straight to it: the readers' own while
        they keep one, else one checked out for the block (a session costs more CPU than
        the statement it would carry)."""
        if self._session is None:
            async with self._database.driver() as driver:
                yield driver
            return
        async with self.reader() as session:
            yield await session_driver(session)

    def _release_when_idle(self) -> None:
        self._release = None
        self._releasing = asyncio.get_running_loop().create_task(self.release())

    async def release(self) -> None:
        """Give the connection back now, unless a reader is using it."""
        if self._release is not None:
            self._release.cancel()
            self._release = None
        async with self._turn:
            if self._users == 0 and self._session is not None:
                session, self._session = self._session, None
                self._database.idle_reads.discard(self)
                await session.close()


# Called with each statement fetch_text sends: SQLAlchemy's events do not see those (the
# tests that count statements listen here too).
raw_statement_listeners: list[Callable[[str], None]] = []
# With tracing on, each of those statements runs inside this span (observability/tracing.py).
raw_statement_span: Callable[[str], contextlib.AbstractContextManager[object]] | None = None


async def session_driver(session: AsyncSession) -> Driver:
    """The asyncpg connection under a session's connection."""
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    if driver is None:
        raise RuntimeError("the session's connection has no driver connection")
    return Driver(driver, connection.info, session.invalidate)


async def fetch_text(driver: Driver, sql: str, values: Sequence[Any]) -> str | None:
    """The one text value of a PostgreSQL statement (None without a row), sent straight to
    asyncpg on the session's connection.

    For a statement whose answer is a single string (a response body built by the
    database), SQLAlchemy's execution context, cursor adaptation and result objects cost
    three times what asyncpg itself needs: 0.33 against 0.10 ms of CPU per customer view.

    The statement runs with a generic plan (``_generic_plans``).
    """
    value: str | None = await _raw(driver, sql, values, "fetchval", generic_plans=True)
    return value


async def fetch_checked(driver: Driver, sql: str, values: Sequence[Any]) -> tuple[bool, str | None]:
    """The (check, text) row of a statement that answers only when its check holds, sent
    and planned as ``fetch_text`` sends and plans its statements."""
    ok, value = await _raw(driver, sql, values, "fetchrow", generic_plans=True)
    return bool(ok), value


async def fetch_row(driver: Driver, sql: str, values: Sequence[Any]) -> Any:
    """The one row (or None) of a PostgreSQL statement, sent straight to asyncpg as
    ``fetch_text`` sends its statements: for the statement every request runs."""
    return await _raw(driver, sql, values, "fetchrow")


async def _raw(
    driver: Driver, sql: str, values: Sequence[Any], method: str, generic_plans: bool = False
) -> Any:
    if generic_plans and not driver.info.get(_GENERIC_PLANS):
        await _generic_plans(driver.info, driver.connection)
    for listener in raw_statement_listeners:
        listener(sql)
    if raw_statement_span is None:
        return await getattr(driver.connection, method)(sql, *values)
    with raw_statement_span(sql):
        return await getattr(driver.connection, method)(sql, *values)


# Set in a connection's info while its session plans every prepared statement generically.
_GENERIC_PLANS = "generic_plans"


async def _generic_plans(info: dict[Any, Any], driver: Any) -> None:
    """Plan the statements of compiled reads once per connection.

    PostgreSQL plans a prepared statement for its parameters' values (a custom plan) until
    a generic plan looks no dearer, and keeps doing so when its estimates say otherwise. A
    compiled read is tens of kilobytes of SQL that takes 3-4 ms to plan, much longer than
    it takes to run, and its parameters (ids, page sizes, cursors) do not change what plan
    suits it: the workbench was planned anew on every request. The setting stays on the
    connection until SQLAlchemy sends a statement of its own on it
    (``_chosen_plans_again``), so that a run of compiled reads pays for it once. Inside a
    transaction it is not set at all: a rollback would undo it unseen.
    """
    if driver.is_in_transaction():
        return
    await driver.execute("SET plan_cache_mode = force_generic_plan")
    info[_GENERIC_PLANS] = True


def _chosen_plans_again(engine: AsyncEngine) -> None:
    """Statements of any other kind (reports over ranges of days, searches...) are planned
    for their values again, as PostgreSQL chooses."""

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def reset(conn: Any, _cursor: Any, *_args: Any) -> None:
        if conn.info.pop(_GENERIC_PLANS, False):
            await_only(conn.connection.driver_connection.execute("RESET plan_cache_mode"))


# How statements sent straight to asyncpg are written ($n parameters).
ASYNCPG_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


def _new_engine(url: str, **options: Any) -> AsyncEngine:
    # Looked up when called: tracing (observability/tracing.py) wraps it once it is on.
    return sqlalchemy_asyncio.create_async_engine(url, **options)


def _create_engine(settings: Settings, **overrides: Any) -> AsyncEngine:
    url = settings.resolved_database_url
    if settings.is_sqlite:
        prepare_sqlite_file(settings)
        engine = _new_engine(url, connect_args={"timeout": 30}, **overrides)
        _configure_sqlite(engine)
        return engine
    options: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_pool_size,
        # asyncpg keeps prepared statements up to 15 KB by default; a compiled customer view
        # for a scoped user is 20-60 KB of SQL, which PostgreSQL would otherwise parse and plan
        # (several milliseconds) on every request.
        "connect_args": {
            "max_cacheable_statement_size": 256 * 1024,
            # The visibility rules' correlated subqueries make PostgreSQL's cost estimates
            # large enough to switch on JIT compilation, which then takes 30-45 ms to save
            # nothing on statements that read a few hundred rows.
            "server_settings": {"jit": "off", **_planner_costs(settings)},
        },
    }
    options.update(overrides)
    engine = _new_engine(url, **options)
    _check_on_checkout(engine)
    _chosen_plans_again(engine)
    return engine


def _planner_costs(settings: Settings) -> dict[str, str]:
    cost = settings.db_random_page_cost
    return {} if cost is None else {"random_page_cost": str(cost)}


def prepare_sqlite_file(settings: Settings) -> None:
    """Create the SQLite file readable by this user only, before SQLite opens it.

    SQLite creates the -wal and -shm files beside it with the database file's mode, so they
    are private too; files an earlier release made readable by others are tightened.
    """
    database = make_url(settings.resolved_database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    private_dir(path.parent)
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # made meanwhile by another process
            os.close(create_private(path))  # an empty file is an empty SQLite database
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        tighten(name)


# A connection idle for longer than this is pinged before use, as pool_pre_ping would.
IDLE_PING_SECONDS = 30.0


def _check_on_checkout(engine: AsyncEngine) -> None:
    """Pooled connections that died are replaced before use, at little cost under load.

    SQLAlchemy's ``pool_pre_ping`` costs asyncpg three round trips per check-out (BEGIN,
    the ping, ROLLBACK): three of a customer view's five. When PostgreSQL restarts or ends a
    connection it closes the socket, and asyncpg marks the connection closed, which costs
    nothing to ask. A connection can also die silently (a firewall's idle timeout, a
    failover): that happens to idle ones, so those are pinged, as pre-ping does, once they
    have been idle for ``IDLE_PING_SECONDS``; a busy pool never pays for it.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed this connection")  # the pool retries
        idle_since = record.info.get("checked_in_at")
        if idle_since is not None and time.monotonic() - idle_since > IDLE_PING_SECONDS:
            try:
                dbapi_connection.ping()
            except Exception as error:
                raise DisconnectionError("the connection did not answer a ping") from error


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Foreign keys are off by default in SQLite; WAL lets readers work beside a writer.
        # pysqlite's own transaction handling is switched off so that "begin" below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get("no_begin", False):
            return  # SQLite then runs each statement in its own implicit transaction
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get("begin_immediate") else "BEGIN")
