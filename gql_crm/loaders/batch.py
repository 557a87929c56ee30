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
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute

from gql_crm.auth.principal import Principal
from gql_crm.db.engine import Reads
from gql_crm.db.keys import InKeys
from gql_crm.db.pagination import Page, SortKey, after_clause, decode_keys, encode_cursor, ordered

T = TypeVar("T")
S = TypeVar("S")

# The limit of ``windowed`` statements (their keys are ``in_keys``): the page and one more.
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


@dataclass(frozen=True, slots=True)
class Slice:
    """A page of one parent's sub-list: its first ``first`` rows after ``after`` (a cursor
    of that list, decoded by the list's loader)."""

    parent: int
    first: int
    after: str | None = None


def after_values(keys: Sequence[SortKey]) -> list[BindParameter[Any]]:
    """The cursor's values in a ``windowed`` statement that reads after one."""
    return [bindparam(f"after_{i}", type_=key.column.type) for i, key in enumerate(keys)]


def numbered(
    parent_column: ColumnElement[Any] | InstrumentedAttribute[Any],
    keys: Sequence[SortKey],
    after: bool,
) -> list[ColumnElement[Any]]:
    """The columns numbering each parent's rows in ``keys``' order (``n``; after a cursor,
    among the rows that follow it, marked ``beyond``), counting the parent's whole list
    (``total``) and giving each row's sort keys (``k0``...), from which its cursor is made."""
    partition: list[Any] = [parent_column]
    columns: list[ColumnElement[Any]] = [
        func.count().over(partition_by=parent_column).label("total")
    ]
    if after:
        beyond = after_clause(keys, after_values(keys))
        partition.append(beyond)
        columns.append(beyond.label("beyond"))
    number = func.row_number().over(partition_by=partition, order_by=ordered(keys))
    keyed = [key.column.label(f"k{i}") for i, key in enumerate(keys)]
    return [number.label("n"), *columns, *keyed]


def page_of(numbered_rows: Any, after: bool) -> ColumnElement[bool]:
    """What a ``windowed`` statement keeps of its numbered rows: the page and one beyond it
    (to tell whether more follow); after a cursor, the rows that follow it, and one row of
    those before it (which only tells the parent's ``total``, should none follow)."""
    within: ColumnElement[bool] = numbered_rows.c.n <= LIMIT
    if not after:
        return within
    beyond = numbered_rows.c.beyond.is_(True)
    return or_(and_(beyond, within), and_(beyond.is_not(True), numbered_rows.c.n == 1))


def windowed(
    model: type[Any],
    parent_column: InstrumentedAttribute[Any],
    keys: Sequence[SortKey],
    *where: ColumnElement[bool],
    after: bool = False,
) -> Select[Any]:
    """The first ``:limit`` rows of ``model`` per parent in ``:keys`` (after the cursor's
    ``:after_0``... when ``after``), in one statement, with ``numbered``'s columns.

    ``row_number() over (partition by parent ...)`` numbers each parent's rows, so any number
    of parents costs one query however many rows each has. The window runs over the primary
    key and the rows join back on it.
    """
    primary_key = inspect(model).primary_key[0]
    rows = (
        select(primary_key.label("id"), *numbered(parent_column, keys, after))
        .where(in_keys(parent_column), *where)
        .subquery()
    )
    return (
        select(model, *(column for column in rows.c if column.name != "id"))
        .join(rows, primary_key == rows.c.id)
        .where(page_of(rows, after))
        .order_by(rows.c.n)
    )


async def first_rows(
    database: Reads,
    statement: Callable[[bool], Select[Any]],
    keys: Sequence[Slice],
    sort: Sequence[SortKey],
    **parameters: Any,
) -> dict[Slice, Sequence[Any]]:
    """The rows of ``windowed``-shaped statements (``statement(after)``) for the keys, one
    statement per distinct cursor (a request's field asks with one), by key."""
    found: dict[Slice, Sequence[Any]] = {}
    by_cursor: dict[str | None, list[Slice]] = defaultdict(list)
    for key in keys:
        by_cursor[key.after].append(key)
    for cursor, group in by_cursor.items():
        values = {
            "keys": _distinct([key.parent for key in group]),
            "limit": max(key.first for key in group) + 1,
            **parameters,
        }
        if cursor is not None:
            decoded = decode_keys(cursor, sort)
            values.update({f"after_{i}": value for i, value in enumerate(decoded)})
        async with database.reader() as session:
            rows = (await session.execute(statement(cursor is not None), values)).all()
        for key in group:
            found[key] = rows
    return found


async def pages_per_parent(
    database: Reads,
    statement: Callable[[bool], Select[Any]],
    keys: Sequence[Slice],
    sort: Sequence[SortKey],
    parent: Callable[[Any], Any],
    item: Callable[[Any], T] = lambda row: row[0],
    **parameters: Any,
) -> list[Page[T]]:
    """Each key's page, from rows of ``windowed``-shaped statements: ``parent(row)`` is the
    row's parent id, ``item(row)`` what the page lists (by default the model)."""
    found = await first_rows(database, statement, keys, sort, **parameters)
    groups: dict[tuple[str | None, Any], list[Any]] = defaultdict(list)
    totals: dict[tuple[str | None, Any], int] = {}
    for cursor, rows in {key.after: found[key] for key in keys}.items():
        for row in rows:
            values = row._mapping
            totals[cursor, parent(row)] = values["total"]
            if cursor is None or values["beyond"] is True:
                groups[cursor, parent(row)].append(row)
    pages: list[Page[T]] = []
    for key in keys:
        rows = groups.get((key.after, key.parent), [])
        shown = rows[: key.first]
        pages.append(
            Page(
                items=[item(row) for row in shown],
                cursors=[encode_cursor(_sort_values(row, len(sort))) for row in shown],
                has_next_page=len(rows) > key.first,
                has_previous_page=key.after is not None,
                total=totals.get((key.after, key.parent), 0),
            )
        )
    return pages


def _sort_values(row: Any, count: int) -> list[Any]:
    values = row._mapping
    return [values[f"k{i}"] for i in range(count)]


async def first_per_parent(
    database: Reads,
    statement: Callable[[bool], Select[Any]],
    parent_key: str,
    keys: Sequence[Slice],
    sort: Sequence[SortKey],
    **parameters: Any,
) -> list[Page[Any]]:
    """Each key's page from ``windowed`` statements whose model holds the parent id in
    ``parent_key``."""
    return await pages_per_parent(
        database, statement, keys, sort, lambda row: getattr(row[0], parent_key), **parameters
    )


@dataclass(frozen=True, slots=True)
class Children:
    """The rows under a parent row: those whose ``parent`` column names it and that meet
    ``where`` and, for each caller, ``rule`` (from ``db/visibility.py``), in ``order``. The
    loaders (``scoped_children``, ``pages``, ``scoped_pages``) and compiled reads list them
    from this one declaration."""

    parent: InstrumentedAttribute[Any]
    order: Sequence[SortKey]
    where: Sequence[ColumnElement[bool]] = ()
    rule: Callable[[Principal], ColumnElement[bool]] | None = None

    @property
    def model(self) -> Any:
        """The rows' mapped class (the parent column is never on an alias here)."""
        return self.parent.class_

    def conditions(self, principal: Principal | None) -> list[ColumnElement[bool]]:
        """What a row meets to be listed (for ``principal``: with the rule, if there is one)."""
        if self.rule is None:
            return list(self.where)
        if principal is None:
            raise TypeError("the rows the caller may see need the caller")
        return [*self.where, self.rule(principal)]


Load = Callable[..., Awaitable[list[Page[Any]]]]


def pages(children: Children) -> Load:
    """A loader of pages (``Slice`` keys) of ``children`` (with no rule of the caller's)
    under each parent: one ``windowed`` statement per request level."""
    parent, order, where = children.parent, children.order, children.conditions(None)

    @functools.cache  # without and with a cursor
    def statement(after: bool) -> Select[Any]:
        return windowed(children.model, parent, order, *where, after=after)

    async def load(database: Reads, keys: Sequence[Slice], **parameters: Any) -> list[Page[Any]]:
        return await first_per_parent(database, statement, parent.key, keys, order, **parameters)

    return load


def scoped_pages(children: Children) -> Load:
    """``pages`` of ``children`` as the caller may see them, its statements built once per
    scope."""
    parent, order = children.parent, children.order

    @per_principal
    def statements(principal: Principal) -> Callable[[bool], Select[Any]]:
        where = children.conditions(principal)
        return functools.cache(
            lambda after: windowed(children.model, parent, order, *where, after=after)
        )

    async def load(database: Reads, principal: Principal, keys: Sequence[Slice]) -> list[Page[Any]]:
        return await first_per_parent(database, statements(principal), parent.key, keys, order)

    return load


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
    children: Children,
) -> Callable[[Reads, Principal, Sequence[int]], Awaitable[list[list[Any]]]]:
    """A loader of ``children`` per parent id, as the caller may see them."""
    parent, order_by = children.parent, ordered(children.order)
    statement = per_principal(
        lambda principal: (
            select(children.model)
            .where(in_keys(parent), *children.conditions(principal))
            .order_by(*order_by)
        )
    )
    key = parent.key

    async def load(
        database: Reads, principal: Principal, parent_ids: Sequence[int]
    ) -> list[list[Any]]:
        rows = statement(principal)
        return await grouped(database, rows, lambda row: getattr(row, key), parent_ids)

    return load
