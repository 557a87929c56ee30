"""Dialect-specific INSERT forms, kept out of the services."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CompoundSelect, Select, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from gql_crm.db.base import Base


def insert_ignore(dialect: str, model: type[Base], values: dict[str, Any]) -> Insert:
    """INSERT that silently does nothing when the row's key already exists."""
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model).values(**values).on_conflict_do_nothing()  # type: ignore[no-any-return]


def insert_or_lock(dialect: str, model: type[Base], values: dict[str, Any]) -> Insert:
    """INSERT the row, or lock the one with its primary key (left as it is) until the
    transaction ends. Unlike inserting then locking, nothing can delete the row between."""
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(model).values(**values)
    keys = [column.name for column in inspect(model).primary_key]
    # An update that changes nothing: it takes the row lock the conflicting insert needs.
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=keys, set_={keys[0]: stmt.excluded[keys[0]]}
    )


def insert_adding(
    dialect: str,
    model: type[Base],
    names: list[str],
    rows: Select[Any] | CompoundSelect[Any] | list[dict[str, Any]],
) -> Insert:
    """INSERT ``rows`` (a SELECT of the columns ``names``, or the rows' values, the primary
    key among them), each added to the row with its key when there is one: running sums kept
    by increments. Rows are written in the order given."""
    module = postgresql if dialect == "postgresql" else sqlite
    insert = module.insert(model)
    stmt = insert.values(rows) if isinstance(rows, list) else insert.from_select(names, rows)
    keys = [column.name for column in inspect(model).primary_key]
    table: Any = model.__table__
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=keys,
        set_={name: table.c[name] + stmt.excluded[name] for name in names if name not in keys},
    )
