"""Writing many rows at once (imports): ids reserved up front, rows sent in one COPY on
PostgreSQL and as multi-row INSERTs on SQLite, in the caller's transaction."""

from __future__ import annotations

import enum
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    Enum,
    Integer,
    String,
    Table,
    any_,
    bindparam,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

INSERT_BATCH = 1000


async def reserve_ids(session: AsyncSession, table: Table, count: int) -> list[int]:
    """Ids for ``count`` new rows of ``table``, ascending. PostgreSQL draws them from the
    table's sequence; a SQLite unit of work holds the database's write lock (BEGIN
    IMMEDIATE), so the ids after the largest one are free until it ends."""
    if count == 0:
        return []
    if _dialect(session) == "postgresql":
        rows = await session.execute(
            text(
                f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
                "FROM generate_series(1, :n)"
            ),
            {"n": count},
        )
        return sorted(row[0] for row in rows)
    largest = await session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
    return list(range(int(largest or 0) + 1, int(largest or 0) + 1 + count))


ARRAY_BATCH = 10_000  # values in one array parameter: few statements, little memory


def batch_size(session: AsyncSession) -> int:
    """How many values ``among`` takes at once: an array parameter's worth on PostgreSQL, a
    list of ``INSERT_BATCH`` parameters on SQLite (whose statements take a limited number)."""
    return ARRAY_BATCH if _dialect(session) == "postgresql" else INSERT_BATCH


def batches(session: AsyncSession, values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """``values`` in the pieces ``among`` takes at once (``batch_size``)."""
    size = batch_size(session)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def among(
    session: AsyncSession,
    column: ColumnElement[Any] | QueryableAttribute[Any],
    batch: Sequence[Any],
) -> ColumnElement[bool]:
    """``column`` is one of ``batch`` (strings or integers, at most ``batch_size``): ``= ANY``
    of one array on PostgreSQL, a plain IN on SQLite."""
    if _dialect(session) != "postgresql":
        return column.in_(batch)
    element = Integer() if batch and isinstance(batch[0], int) else String()
    return column == any_(bindparam(None, list(batch), type_=ARRAY(element)))


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _json(value: Any) -> Any:
    return orjson.dumps(value).decode()


def _enum_value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _plain_for(column_type: Any) -> Callable[[Any], Any] | None:
    """How a value of a column of this type is sent by COPY: JSON serialised, an enum as
    its value, anything else (None) as it is."""
    if isinstance(column_type, JSON):
        return _json
    if isinstance(column_type, Enum):
        return _enum_value
    return None


async def copy_rows(session: AsyncSession, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys, ids included) into ``table``; they are read
    once, as they are sent, so that a generator keeps no more than a batch in memory."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return
    every = itertools.chain([first], iterator)
    if _dialect(session) != "postgresql":
        while batch := list(itertools.islice(every, INSERT_BATCH)):
            await session.execute(insert(table), batch)
        return
    columns = list(first)
    pick = operator.itemgetter(*columns)
    # Only JSON and enum columns need their values converted; the rest go as they are.
    plain = [(i, _plain_for(table.c[name].type)) for i, name in enumerate(columns)]
    converted = [(i, convert) for i, convert in plain if convert is not None]

    def record(row: Mapping[str, Any]) -> tuple[Any, ...]:
        values = pick(row)
        if len(columns) == 1:
            values = (values,)
        if not converted:
            return values  # type: ignore[no-any-return]
        listed = list(values)
        for i, convert in converted:
            listed[i] = convert(listed[i])
        return tuple(listed)

    records = (record(row) for row in every)  # made as COPY sends them, never all at once
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        table.name, records=records, columns=columns
    )
