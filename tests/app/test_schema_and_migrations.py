"""The committed contract and the migrations agree with the code."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateIndex

from gql_crm.db.base import EXPRESSION_INDEXES, Base, exists_on
from gql_crm.db.engine import Database
from gql_crm.schema import export_sdl

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schema_matches_the_code() -> None:
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == export_sdl(), (
        "schema.graphql is out of date: run `gql-crm export-schema > schema.graphql` "
        "and review the diff as an API change"
    )


def _differences(connection: Connection) -> list[Any]:
    dialect = connection.dialect.name
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "include_object": lambda obj, *_: exists_on(obj, dialect)},
    )
    with warnings.catch_warnings():
        if dialect == "sqlite":  # it cannot reflect these: compared by their SQL below
            for name in EXPRESSION_INDEXES:
                for skipped in _SKIPPED_ON_SQLITE:
                    warnings.filterwarnings("ignore", skipped.format(name=re.escape(name)))
        return list(compare_metadata(context, Base.metadata))


_SKIPPED_ON_SQLITE = (
    "Skipped unsupported reflection of expression-based index {name}$",
    "autogenerate skipping metadata-specified expression-based index '{name}'; dialect 'sqlite'",
)


def _expression_indexes(connection: Connection) -> dict[str, str]:
    """The SQL of the expression indexes, as the models make them and as the database has
    them (on PostgreSQL alembic compares them; this holds SQLite's to the models too)."""
    if connection.dialect.name != "sqlite":
        return {}
    built = {
        name: " ".join(str(CreateIndex(index).compile(connection)).split())
        for name, index in EXPRESSION_INDEXES.items()
    }
    rows = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN "
        f"({', '.join('?' * len(built))})",
        tuple(built),
    )
    have = {name: " ".join(sql.split()) for name, sql in rows}
    return {name: f"models: {sql}; database: {have.get(name)}"
            for name, sql in built.items() if have.get(name) != sql}  # fmt: skip


async def test_migrations_build_exactly_the_models(database: Database) -> None:
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
        expression_differences = await connection.run_sync(_expression_indexes)
    assert differences == []
    assert expression_differences == {}
