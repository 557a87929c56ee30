"""Dialect-specific INSERT forms, kept out of the services."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from gql_crm.db.base import Base


def insert_ignore(dialect: str, model: type[Base], values: dict[str, Any]) -> Insert:
    """INSERT that silently does nothing when the row's key already exists."""
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model).values(**values).on_conflict_do_nothing()  # type: ignore[no-any-return]
