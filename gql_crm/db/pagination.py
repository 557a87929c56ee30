"""Keyset pagination: opaque cursors over a stable sort ending in a unique key."""

from __future__ import annotations

import base64
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

import orjson
from sqlalchemy import BigInteger, ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeEngine

from gql_crm.db.engine import Reads

T = TypeVar("T")
R = TypeVar("R")


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class SortKey:
    """One key of a list's order. A key may be null only where the keys before it decide that
    it is (the schedules' upcoming time, null for past ones): ``nullable`` says so."""

    column: ColumnElement[Any] | InstrumentedAttribute[Any]
    descending: bool = False
    nullable: bool = False


def ordered(keys: Sequence[SortKey]) -> list[ColumnElement[Any]]:
    """The ORDER BY of ``keys``."""
    return [key.column.desc() if key.descending else key.column.asc() for key in keys]


# Stored dates and timestamps lie in these years (dates beyond them overflow in arithmetic).
_EARLIEST = date(1, 1, 2)
_LATEST = date(9999, 12, 30)
# Values JSON cannot carry are tagged: {"t": datetime}, {"day": date}, {"d": Decimal}.
_DECODERS: dict[str, Any] = {"t": datetime.fromisoformat, "day": date.fromisoformat, "d": Decimal}


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"day": value.isoformat()}
    if isinstance(value, Decimal):
        return {"d": str(value)}
    return value


# A cursor is at most this long: no list's sort key needs more, and decoding is bounded.
MAX_CURSOR_LENGTH = 1024
INT32 = 2**31
INT64 = 2**63


def int_bound(column_type: TypeEngine[Any]) -> int:
    """Integers a column holds lie in [-bound, bound): 32 bits unless declared big."""
    return INT64 if isinstance(column_type, BigInteger) else INT32


def _decode_value(value: Any, expected: type, bound: int = INT64, nullable: bool = False) -> Any:
    if value is None and nullable:
        return None
    if isinstance(value, dict) and len(value) == 1:
        tag, raw = next(iter(value.items()))
        value = _DECODERS[tag](raw) if tag in _DECODERS and isinstance(raw, str) else value
    if expected is float and isinstance(value, int):
        value = float(value)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ValueError(f"expected {expected.__name__}")
    if isinstance(value, int) and not -bound <= value < bound:
        raise ValueError("integer out of range")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers in cursors are finite")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError("numbers in cursors are finite")
    if isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value
        if not _EARLIEST <= day <= _LATEST:
            raise ValueError("date out of range")
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError("timestamps in cursors carry their time zone")
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    raw = orjson.dumps([_encode_value(v) for v in values])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str,
    types: Sequence[type],
    bounds: Sequence[int] | None = None,
    nullable: Sequence[bool] | None = None,
) -> list[Any]:
    """The sort-key values in ``cursor``, each checked against its column's Python type
    (and integers against ``bounds``, what each column holds; null only where ``nullable``)."""
    bounds = bounds if bounds is not None else [INT64] * len(types)
    nullable = nullable if nullable is not None else [False] * len(types)
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        padded = cursor + "=" * (-len(cursor) % 4)
        values = orjson.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError("wrong shape")
        items = zip(values, types, bounds, nullable, strict=True)
        return [_decode_value(*item) for item in items]
    except (ValueError, TypeError, OverflowError, orjson.JSONDecodeError) as error:
        shown = cursor if len(cursor) <= 80 else f"{cursor[:80]}..."
        raise InvalidCursor(f"'{shown}' is not a cursor this list produced") from error


def decode_keys(cursor: str, keys: Sequence[SortKey]) -> list[Any]:
    """The values of ``keys`` in a cursor their list produced (InvalidCursor if not)."""
    types = [key.column.type.python_type for key in keys]
    bounds = [int_bound(key.column.type) for key in keys]
    return decode_cursor(cursor, types, bounds, [key.nullable for key in keys])


def _equal(key: SortKey, value: Any) -> ColumnElement[bool]:
    # Null equals null only in a nullable key: elsewhere `=` keeps the indexes usable.
    return key.column.is_not_distinct_from(value) if key.nullable else key.column == value


def after_clause(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order given by ``keys`` (a null value of a
    nullable key is beyond nothing: the keys before it decided the row's place)."""
    clauses: list[ColumnElement[bool]] = []
    for i, key in enumerate(keys):
        equal_prefix = [_equal(keys[j], values[j]) for j in range(i)]
        beyond = key.column < values[i] if key.descending else key.column > values[i]
        clauses.append(and_(*equal_prefix, beyond))
    return or_(false(), *clauses)


@dataclass(slots=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    # The whole list's size when the page's own statement counted it (a sub-list's window).
    total: int | None = None


def count_of(stmt: Select[Any]) -> Select[int]:
    """How many rows ``stmt`` lists (what ``totalCount`` answers)."""
    return select(func.count()).select_from(stmt.order_by(None).subquery())


async def keyset_page(
    session: AsyncSession,
    stmt: Select[T],
    keys: Sequence[SortKey],
    *,
    first: int,
    after: str | None,
) -> Page[T]:
    """One page of ``stmt``; the last key must be unique (usually the primary key)."""
    page_stmt = stmt
    if after is not None:
        page_stmt = page_stmt.where(after_clause(keys, decode_keys(after, keys)))
    page_stmt = page_stmt.order_by(*ordered(keys)).limit(first + 1)
    key_labels = [key.column.label(f"_k{i}") for i, key in enumerate(keys)]
    rows = (await session.execute(page_stmt.add_columns(*key_labels))).all()
    items = [row[0] for row in rows[:first]]
    cursors = [encode_cursor(row[1:]) for row in rows[:first]]
    return Page(
        items=items,
        cursors=cursors,
        has_next_page=len(rows) > first,
        has_previous_page=after is not None,
    )


async def read_page(
    reads: Reads, stmt: Select[T], keys: Sequence[SortKey], *, first: int, after: str | None
) -> tuple[Page[T], Callable[[], Awaitable[int]]]:
    """A page of ``stmt`` read on ``reads``, and how to count the whole list (run only when a
    client asks for ``totalCount``)."""
    async with reads.reader() as session:
        page = await keyset_page(session, stmt, keys, first=first, after=after)

    async def count() -> int:
        async with reads.reader() as session:
            return int(await session.scalar(count_of(stmt)) or 0)

    return page, count


async def read(reads: Reads, query: Callable[[AsyncSession], Awaitable[R]]) -> R:
    """Run a read (a service's query function) on ``reads``."""
    async with reads.reader() as session:
        return await query(session)
