"""The two shapes every loader has: rows by key, and lists of rows grouped by a parent key."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import InstrumentedAttribute

from gql_crm.db.engine import Database

T = TypeVar("T")


async def by_key(
    database: Database, stmt: Select[T], key: Callable[[T], Any], keys: Sequence[Any]
) -> list[T | None]:
    async with database.reader() as session:
        rows = (await session.scalars(stmt)).all()
    found = {key(row): row for row in rows}
    return [found.get(k) for k in keys]


async def grouped(
    database: Database, stmt: Select[T], key: Callable[[T], Any], keys: Sequence[Any]
) -> list[list[T]]:
    async with database.reader() as session:
        rows = (await session.scalars(stmt)).all()
    groups: dict[Any, list[T]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return [groups.get(k, []) for k in keys]


def in_keys(column: InstrumentedAttribute[Any], keys: Sequence[Any]) -> ColumnElement[bool]:
    return column.in_(list(dict.fromkeys(keys)))
