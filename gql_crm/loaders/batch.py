"""The shapes every loader has (rows by key, lists grouped by a parent key, the first rows per
parent) and the statement cache they share.

A loader's statement is built once and executed with its keys as parameters. Building a
SQLAlchemy statement (coercing every clause, collecting the columns of each subquery, computing
its cache key) cost more Python per request than the database spent answering it: a customer
view runs about twenty statements. Statements that embed a caller's scope are cached per scope
(``per_principal``), so a cached statement never carries anyone else's permissions.
"""

from __future__ import annotations

import functools
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, func, inspect, select
from sqlalchemy.orm import InstrumentedAttribute

from gql_crm.auth.principal import Principal
from gql_crm.db.engine import Reads
from gql_crm.db.keys import InKeys

T = TypeVar("T")
S = TypeVar("S")

# The limit of ``windowed`` statements (their keys are ``in_keys``).
LIMIT: BindParameter[int] = bindparam("limit")

# Distinct scopes kept per statement: each user has one, and a cache miss only costs a build.
SCOPES_PER_STATEMENT = 1024


def in_keys(column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
    """``column IN (:keys)``, filled at execution with the batch's distinct keys."""
    return InKeys(column.expression)


def once(build: Callable[[], S]) -> Callable[[], S]:
    """A statement that depends on nothing but its parameters: built on first use."""
    return functools.cache(build)


def per_principal(build: Callable[[Principal], S]) -> Callable[[Principal], S]:
    """A statement that embeds the caller's scope, built once per distinct scope.

    The key is the principal without its token expiry and API key, i.e. everything a
    visibility rule may read (user, permissions, visible owners); least recently used scopes
    are dropped.
    """
    cache: OrderedDict[Principal, S] = OrderedDict()

    @functools.wraps(build)
    def get(principal: Principal) -> S:
        key = replace(principal, token_expires_at=None, api_key_id=None)
        stmt = cache.get(key)
        if stmt is None:
            stmt = cache[key] = build(principal)
            if len(cache) > SCOPES_PER_STATEMENT:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
        return stmt

    return get


def _distinct(keys: Sequence[Any]) -> list[Any]:
    return list(dict.fromkeys(keys))


async def by_key(
    database: Reads,
    stmt: Select[T],
    key: Callable[[T], Any],
    keys: Sequence[Any],
    **parameters: Any,
) -> list[T | None]:
    async with database.reader() as session:
        rows = (await session.scalars(stmt, {"keys": _distinct(keys), **parameters})).all()
    found = {key(row): row for row in rows}
    return [found.get(k) for k in keys]


async def grouped(
    database: Reads,
    stmt: Select[T],
    key: Callable[[T], Any],
    keys: Sequence[Any],
    **parameters: Any,
) -> list[list[T]]:
    async with database.reader() as session:
        rows = (await session.scalars(stmt, {"keys": _distinct(keys), **parameters})).all()
    groups: dict[Any, list[T]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return [groups.get(k, []) for k in keys]


def windowed(
    model: type[Any],
    parent_column: InstrumentedAttribute[Any],
    order_by: Sequence[ColumnElement[Any]],
    *where: ColumnElement[bool],
) -> Select[Any]:
    """The first ``:limit`` rows of ``model`` per parent in ``:keys``, in one statement.

    ``row_number() over (partition by parent ...)`` numbers each parent's rows, so any number
    of parents costs one query however many rows each has. The window runs over the primary
    key and the rows join back on it.
    """
    primary_key = inspect(model).primary_key[0]
    numbered = (
        select(
            primary_key.label("id"),
            func.row_number().over(partition_by=parent_column, order_by=list(order_by)).label("n"),
        )
        .where(in_keys(parent_column), *where)
        .subquery()
    )
    return (
        select(model)
        .join(numbered, primary_key == numbered.c.id)
        .where(numbered.c.n <= LIMIT)
        .order_by(numbered.c.n)
    )


async def first_rows(
    database: Reads, stmt: Select[Any], keys: Sequence[tuple[Any, int]], **parameters: Any
) -> Sequence[Any]:
    """The rows of a ``windowed``-shaped statement for keys ``(parent_id, limit)``."""
    values = {
        "keys": _distinct([parent for parent, _ in keys]),
        "limit": max(limit for _, limit in keys),
        **parameters,
    }
    async with database.reader() as session:
        rows: Sequence[Any] = (await session.execute(stmt, values)).all()
    return rows


def per_parent(
    rows: Sequence[Any], keys: Sequence[tuple[Any, int]], parent: Callable[[Any], Any]
) -> list[list[Any]]:
    """Rows (in window order) grouped by ``parent(row)``, cut to each key's limit."""
    groups: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        groups[parent(row)].append(row)
    return [groups.get(parent_id, [])[:limit] for parent_id, limit in keys]


async def first_per_parent(
    database: Reads,
    stmt: Select[T],
    parent_key: str,
    keys: Sequence[tuple[Any, int]],
    **parameters: Any,
) -> list[list[T]]:
    """The first ``limit`` rows per parent for keys ``(parent_id, limit)``, from a
    ``windowed`` statement whose model holds the parent id in ``parent_key``."""
    models = [row[0] for row in await first_rows(database, stmt, keys, **parameters)]
    return per_parent(models, keys, lambda model: getattr(model, parent_key))


@functools.cache  # one loader per model, however many fields read it
def rows_by_id(model: type[T]) -> Callable[[Reads, Sequence[int]], Awaitable[list[T | None]]]:
    """A loader of ``model`` rows by primary key ``id``."""
    stmt: Select[T] = select(model).where(in_keys(model.id))  # type: ignore[attr-defined]

    async def load(database: Reads, ids: Sequence[int]) -> list[T | None]:
        return await by_key(database, stmt, lambda row: row.id, ids)  # type: ignore[attr-defined]

    return load


@functools.cache  # one loader per model and rule, however many fields read it
def scoped_rows(
    model: type[T], rule: Callable[[Principal], ColumnElement[bool]]
) -> Callable[[Reads, Principal, Sequence[int]], Awaitable[list[T | None]]]:
    """A loader of ``model`` rows by id as the caller may see them (``rule``, from
    ``db/visibility.py``): None for a row they may not see."""
    statement = per_principal(
        lambda principal: select(model).where(in_keys(model.id), rule(principal))  # type: ignore[attr-defined]
    )

    async def load(database: Reads, principal: Principal, ids: Sequence[int]) -> list[T | None]:
        return await by_key(database, statement(principal), lambda row: row.id, ids)  # type: ignore[attr-defined]

    return load


def children(
    parent: InstrumentedAttribute[Any],
    *order_by: ColumnElement[Any] | InstrumentedAttribute[Any],
    where: Sequence[ColumnElement[bool]] = (),
) -> Callable[[Reads, Sequence[int]], Awaitable[list[list[Any]]]]:
    """A loader of all rows per parent id, in the given order."""
    stmt = select(parent.class_).where(in_keys(parent), *where).order_by(*order_by)
    key = parent.key

    async def load(database: Reads, parent_ids: Sequence[int]) -> list[list[Any]]:
        return await grouped(database, stmt, lambda row: getattr(row, key), parent_ids)

    return load


def scoped_children(
    parent: InstrumentedAttribute[Any],
    rule: Callable[[Principal], ColumnElement[bool]],
    *order_by: ColumnElement[Any] | InstrumentedAttribute[Any],
) -> Callable[[Reads, Principal, Sequence[int]], Awaitable[list[list[Any]]]]:
    """A loader of the rows per parent id that the caller may see (``rule``, from
    ``db/visibility.py``), in the given order."""
    statement = per_principal(
        lambda principal: (
            select(parent.class_).where(in_keys(parent), rule(principal)).order_by(*order_by)
        )
    )
    key = parent.key

    async def load(
        database: Reads, principal: Principal, parent_ids: Sequence[int]
    ) -> list[list[Any]]:
        rows = statement(principal)
        return await grouped(database, rows, lambda row: getattr(row, key), parent_ids)

    return load
