"""SQL pieces of compiled reads: scalar values serialized as GraphQL serializes them, JSON
objects and lists, and the statement's ``$n`` parameters. PostgreSQL only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from graphql import GraphQLEnumType, GraphQLNonNull, GraphQLOutputType, GraphQLScalarType
from graphql.execution.values import VariableValues
from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    String,
    Text,
    case,
    cast,
    func,
    literal_column,
    select,
    type_coerce,
)

from gql_crm.db.arrays import ArrayOf
from gql_crm.db.engine import ASYNCPG_DIALECT
from gql_crm.direct.selections import NotPlain


class Fallback(Exception):
    """This request's arguments or caller need Strawberry's answer (an error, most often)."""


@dataclass(frozen=True, slots=True)
class Inputs:
    """What one request gives a plan: its coerced variables and the time (and what the
    plan's readers already read of them, such as a field's arguments)."""

    variables: VariableValues
    now: datetime
    read: dict[Any, Any] = field(default_factory=dict)


class Parameters:
    """The ``$n`` parameters of one statement, each with how to read it from a request."""

    def __init__(self) -> None:
        self.readers: list[Callable[[Inputs], Any]] = []
        self._now: ColumnElement[Any] | None = None

    def add(self, read: Callable[[Inputs], Any], sql_type: str) -> ColumnElement[Any]:
        self.readers.append(read)
        return literal_column(f"CAST(${len(self.readers)} AS {sql_type})")

    @property
    def now(self) -> ColumnElement[Any]:
        """The request's time to the minute (as the loaders are keyed)."""
        if self._now is None:
            self._now = self.add(
                lambda inputs: inputs.now.replace(second=0, microsecond=0), "timestamptz"
            )
        return self._now

    def values(self, inputs: Inputs) -> tuple[Any, ...]:
        return tuple(read(inputs) for read in self.readers)


def json_scalar(type_: GraphQLOutputType) -> Callable[[ColumnElement[Any]], ColumnElement[Any]]:
    """How a value of ``type_`` is written as Strawberry would write it; NotPlain for a type
    SQL cannot write alike (asked while planning, so that a document is planned or not once)."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLEnumType):
        names = {definition.value: name for name, definition in type_.values.items()}
        return lambda value: case(names, value=type_coerce(value, String()))
    if not isinstance(type_, GraphQLScalarType):
        raise NotPlain  # a list of values, an object
    serialize = _SCALARS.get(type_.name)
    if serialize is None:
        raise NotPlain  # Float (repr differs), JSON, Upload...
    return serialize


def _iso_datetime(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """``datetime.isoformat()`` of a UTC timestamp: microseconds only when there are any."""
    utc = func.timezone("UTC", value)
    micro = func.to_char(utc, "US")
    return (
        func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS')
        .op("||")(case((micro == "000000", ""), else_=literal_column("'.'").op("||")(micro)))
        .op("||")("+00:00")
    )


_SCALARS: dict[str, Callable[[ColumnElement[Any]], ColumnElement[Any]]] = {
    "Int": lambda value: value,
    "String": lambda value: value,
    "Boolean": lambda value: value,
    "Date": lambda value: value,  # PostgreSQL writes dates in JSON as ISO 8601, like Python
    "Decimal": lambda value: cast(value, Text),  # keeps the column's scale, as str(Decimal)
    "DateTime": _iso_datetime,
}

# json_build_object takes at most 100 arguments.
MAX_KEYS = 50


def json_object(pairs: Sequence[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
    if len(pairs) > MAX_KEYS:
        raise NotPlain
    arguments: list[Any] = []
    for key, value in pairs:
        arguments += [literal_column(f"'{key}'"), value]  # keys are GraphQL names: [_A-Za-z0-9]
    return func.json_build_object(*arguments)


def json_list(
    item: ColumnElement[Any],
    source: FromClause,
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[ColumnElement[Any]],
    correlate: FromClause,
    limit: ColumnElement[Any] | None,
) -> ColumnElement[Any]:
    """A JSON array of ``item`` over the first ``limit`` rows of ``source`` in order."""
    rows: Select[Any] = select(item).select_from(source).where(*where).order_by(*order_by)
    if limit is not None:
        rows = rows.limit(limit)
    return _json_array(rows.correlate(correlate))


def json_rows(item: ColumnElement[Any], rows: Select[Any]) -> ColumnElement[Any]:
    """A JSON array of ``item`` over the rows a statement selects, in its order: the
    statement's columns replaced, its FROM, conditions, order and limit kept."""
    return _json_array(rows.with_only_columns(item, maintain_column_froms=True))


def _json_array(rows: Select[Any]) -> ColumnElement[Any]:
    """The JSON values one statement selects, as an array in the statement's order.

    ``ARRAY(SELECT …)`` keeps the rows in the order the statement gives them, which an
    aggregate does only when told to sort them again (``json_agg(… ORDER BY …)``: a sort
    per list, set up and run for a few rows, 8 % of the workbench's statement).
    """
    return func.array_to_json(ArrayOf(rows))


def _tagged(tag: str, text: ColumnElement[Any]) -> ColumnElement[Any]:
    return literal_column(f"""'{{"{tag}":"'""").op("||")(text).op("||")(literal_column("""'"}'"""))


def _cursor_value(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """One sort key's value as ``encode_cursor`` writes it in JSON (``db/pagination.py``)."""
    python_type = column.type.python_type
    if python_type is str:
        return cast(func.to_json(column), Text)  # escapes as orjson does; UTF-8 kept
    if python_type is int:
        return cast(column, Text)
    if python_type is bool:
        return case((column, literal_column("'true'")), (~column, literal_column("'false'")))
    if python_type is datetime:
        return _tagged("t", _iso_datetime(column))
    if python_type is date:
        return _tagged("day", func.to_char(column, "YYYY-MM-DD"))
    if python_type is Decimal:
        return _tagged("d", cast(column, Text))
    raise NotPlain


def cursor(columns: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
    """The keyset cursor of a row, byte for byte ``encode_cursor`` of its sort keys:
    unpadded URL-safe base64 of the values' compact JSON array."""
    text: ColumnElement[Any] = literal_column("'['")
    for i, column in enumerate(columns):
        value = func.coalesce(_cursor_value(column), literal_column("'null'"))
        text = text.op("||")(literal_column("','")).op("||")(value) if i else text.op("||")(value)
    text = text.op("||")(literal_column("']'"))
    base64 = func.encode(
        func.convert_to(text, literal_column("'UTF8'")), literal_column("'base64'")
    )
    # PostgreSQL breaks base64 into lines of 76: translate drops the newlines.
    url_safe = func.translate(base64, literal_column("E'+/\\n'"), literal_column("'-_'"))
    return func.rtrim(url_safe, literal_column("'='"))


def to_sql(statement: Select[Any]) -> str:
    """The statement's text for asyncpg; every value but the ``$n`` parameters is a literal
    the server chose (enum values, constants, stand-ins for the caller), never a client's."""
    return str(statement.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True}))


_DIALECT = ASYNCPG_DIALECT
