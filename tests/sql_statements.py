"""Counting the SQL statements a request costs, for the tests that guard against N+1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from gql_crm.db.engine import Database, raw_statement_listeners


@contextmanager
def counting(database: Database) -> Iterator[list[str]]:
    """Collect every statement sent while the block runs (SQLite's explicit BEGIN aside),
    also those sent straight to the driver (``fetch_text``)."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statement: str = args[2]
        if statement != "BEGIN" and not statement.startswith("BEGIN "):
            statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    raw_statement_listeners.append(statements.append)  # what goes straight to asyncpg
    try:
        yield statements
    finally:
        raw_statement_listeners.remove(statements.append)
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)
