"""The two shapes every loader has: rows by key, and lists of rows grouped by a parent key."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, aliased

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


async def first_per_parent(
    database: Database,
    model: type[T],
    parent_column: InstrumentedAttribute[Any],
    order_by: Sequence[ColumnElement[Any]],
    keys: Sequence[tuple[Any, int]],
    *where: ColumnElement[bool],
) -> list[list[T]]:
    """The first ``limit`` rows per parent, for keys ``(parent_id, limit)``, in one statement.

    ``row_number() over (partition by parent ...)`` numbers each parent's rows, so any number
    of parents costs one query however many rows each has.
    """
    largest = max(limit for _, limit in keys)
    parents = list(dict.fromkeys(parent for parent, _ in keys))
    numbered = (
        select(
            model,
            func.row_number().over(partition_by=parent_column, order_by=list(order_by)).label("n"),
        )
        .where(parent_column.in_(parents), *where)
        .subquery()
    )
    entity = aliased(model, numbered)
    stmt = select(entity).where(numbered.c.n <= largest).order_by(numbered.c.n)
    async with database.reader() as session:
        rows = (await session.scalars(stmt)).all()
    groups: dict[Any, list[T]] = defaultdict(list)
    parent_key = parent_column.key
    for row in rows:
        groups[getattr(row, parent_key)].append(row)
    return [groups.get(parent, [])[:limit] for parent, limit in keys]
