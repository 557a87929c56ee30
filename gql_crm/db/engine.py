"""Engine and session factories; dialect differences stay in here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from gql_crm.settings import Settings

SessionFactory = async_sessionmaker[AsyncSession]


class Database:
    """The engine plus two session factories: one for reads, one for units of work.

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

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _create_engine(settings: Settings, **overrides: Any) -> AsyncEngine:
    url = settings.resolved_database_url
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **overrides)
        _configure_sqlite(engine)
        return engine
    options: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_pool_size,
        "pool_pre_ping": True,
    }
    options.update(overrides)
    return create_async_engine(url, **options)


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
        immediate = connection.get_execution_options().get("begin_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
