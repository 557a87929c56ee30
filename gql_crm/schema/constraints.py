"""Constraints every input obeys, declared once and checked before any resolver runs.

Every argument of every root field, and every field of the input objects inside it, is
walked once per call: text is bounded and free of control characters, decimals are finite
and within what a ``Numeric(14, 2)`` column holds, dates and datetimes lie in a plausible
range (datetimes with their time zone), JSON is bounded. A field narrows the floor with
``constraint(...)`` as its ``metadata``::

    name: str = strawberry.field(metadata=constraint(max_length=200, single_line=True))
    days: Annotated[int, strawberry.argument(metadata=constraint(minimum=1, maximum=3650))]

A mutation whose result union has ``InvalidInputError`` answers with it (problems name each
field as services do: relative to the ``input`` argument, in camelCase, ``lines[0].quantity``);
other fields answer a top-level ``BAD_USER_INPUT`` naming the argument. Either way the
resolver does not run, so nothing is written.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import orjson
from sqlalchemy import Column, String, Text
from strawberry.extensions import FieldExtension
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField
from strawberry.types.union import StrawberryUnion
from strawberry.utils.str_converters import to_camel_case

from gql_crm.schema.errors import BadRequest
from gql_crm.services.errors import InvalidInput, Problem
from gql_crm.services.money import MAX_MONEY

if TYPE_CHECKING:
    from strawberry.types import Info

MAX_ID = 2**31 - 1
"""The largest id a row has (ids are 32-bit integer columns)."""
TEXT_CAP = 20_000
"""Characters in any text input that declares no smaller cap."""
JSON_CAP = 20_000
"""Characters of any JSON input, serialised."""
JSON_DEPTH = 16
DECIMAL_SCALE = 4
"""Decimal places any decimal column keeps (rates); money's two places stay a service rule,
so that a price with three places is reported with the form's other problems."""
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2200, 12, 31)

# C0 controls but tab, line feed and carriage return, DEL, C1 controls and lone surrogates
# (which no database encoding can store).
_MULTI_LINE_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SINGLE_LINE_BAD = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_KEY = "gql_crm.constraint"


@dataclass(frozen=True, slots=True)
class Constraint:
    """What one field allows beyond the floor every input obeys."""

    max_length: int = TEXT_CAP
    single_line: bool = False
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None
    scale: int = DECIMAL_SCALE
    required: bool = False  # text: not blank


DEFAULT = Constraint()


def constraint(
    *,
    max_length: int = TEXT_CAP,
    single_line: bool = False,
    minimum: int | Decimal | None = None,
    maximum: int | Decimal | None = None,
    scale: int = DECIMAL_SCALE,
    required: bool = False,
) -> dict[str, Constraint]:
    """``metadata`` for ``strawberry.field`` / ``strawberry.argument`` declaring a field's
    limits: a smaller text cap, single-line or non-blank text, an integer or decimal range,
    decimal places."""
    return {_KEY: Constraint(max_length, single_line, minimum, maximum, scale, required)}


def column_limits(column: Column[Any]) -> dict[str, Constraint]:
    """The limits a text column sets on what is written to it: its length, one line unless
    it is ``Text``, not blank unless it may be null (``metadata`` for ``strawberry.field``)."""
    kind = column.type
    if not isinstance(kind, String):
        return {}
    return constraint(
        max_length=kind.length or TEXT_CAP,
        single_line=not isinstance(kind, Text),
        required=not column.nullable,
    )


def _declared(metadata: Mapping[Any, Any] | None) -> Constraint:
    found = (metadata or {}).get(_KEY)
    return found if isinstance(found, Constraint) else DEFAULT


def text_problem(value: str, rule: Constraint = DEFAULT) -> str | None:
    bad = (_SINGLE_LINE_BAD if rule.single_line else _MULTI_LINE_BAD).search(value)
    if bad is not None:
        return (
            f"must not contain control characters (U+{ord(bad.group()):04X} at position "
            f"{bad.start()})"
        )
    if len(value) > rule.max_length:
        return f"must have at most {rule.max_length} characters (has {len(value)})"
    if rule.required and not value.strip():
        return "must not be empty"
    return None


def decimal_problem(value: Decimal, rule: Constraint = DEFAULT) -> str | None:
    if not value.is_finite():
        return f"must be a finite number (got {value})"
    low = rule.minimum if rule.minimum is not None else -MAX_MONEY
    high = rule.maximum if rule.maximum is not None else MAX_MONEY
    if not low <= value <= high:
        return f"must be between {low} and {high} (got {value:.6g})"
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -rule.scale and value != round(value, rule.scale):
        return f"must have at most {rule.scale} decimal places (got {value})"
    return None


def integer_problem(value: int, rule: Constraint = DEFAULT) -> str | None:
    if rule.minimum is not None and value < rule.minimum:
        return f"must be at least {rule.minimum} (got {value})"
    if rule.maximum is not None and value > rule.maximum:
        return f"must be at most {rule.maximum} (got {value})"
    return None


def date_problem(value: dt.date) -> str | None:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return "must include a time zone"
        day = value.date()
    else:
        day = value
    if not EARLIEST <= day <= LATEST:
        return f"must be between {EARLIEST.year} and {LATEST.year} (got {value.isoformat()})"
    return None


def _json_problems(value: Any, rule: Constraint, path: str) -> Iterator[Problem]:
    """Strings, numbers and nesting inside a JSON value (PostgreSQL refuses NUL in jsonb)."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > JSON_DEPTH:
            yield Problem(path, f"must not nest deeper than {JSON_DEPTH} levels")
            return
        if isinstance(item, str):
            if p := text_problem(item, rule):
                yield Problem(where, p)
        elif isinstance(item, float):
            if not math.isfinite(item):
                yield Problem(where, "must be a finite number")
        elif isinstance(item, dict):
            for key, inner in item.items():
                inner_path = f"{where}.{key}" if isinstance(key, str) else where
                if isinstance(key, str) and (p := text_problem(key, rule)):
                    yield Problem(where, f"key {p}")
                stack.append((inner, inner_path, depth + 1))
        elif isinstance(item, list):
            stack.extend((inner, f"{where}[{i}]", depth + 1) for i, inner in enumerate(item))
    try:
        size = len(orjson.dumps(value))
    except (TypeError, orjson.JSONEncodeError):
        yield Problem(path, "is not JSON this server can store")
        return
    if size > JSON_CAP:
        yield Problem(path, f"must be at most {JSON_CAP} characters as JSON (has {size})")


@functools.cache
def _input_fields(cls: type) -> tuple[tuple[str, str, Constraint], ...]:
    """(Python name, GraphQL name, constraint) of each field of a Strawberry input type."""
    definition: StrawberryObjectDefinition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    return tuple(
        (f.python_name, f.graphql_name or to_camel_case(f.python_name), _declared(f.metadata))
        for f in definition.fields
    )


def problems_in(value: Any, rule: Constraint, path: str) -> Iterator[Problem]:
    """Every problem in one converted argument value (input objects and lists walked)."""
    match value:
        case None | bool():
            return
        case str():
            if p := text_problem(value, rule):
                yield Problem(path, p)
        case int():
            if p := integer_problem(value, rule):
                yield Problem(path, p)
        case float():
            if not math.isfinite(value):
                yield Problem(path, "must be a finite number")
        case Decimal():
            if p := decimal_problem(value, rule):
                yield Problem(path, p)
        case dt.date():
            if p := date_problem(value):
                yield Problem(path, p)
        case list() | tuple():
            for i, item in enumerate(value):
                yield from problems_in(item, rule, f"{path}[{i}]")
        case dict():
            yield from _json_problems(value, rule, path)
        case _ if isinstance(
            getattr(type(value), "__strawberry_definition__", None), StrawberryObjectDefinition
        ):
            input_type: Any = type(value)
            for python_name, name, inner_rule in _input_fields(input_type):
                inner = getattr(value, python_name, None)
                yield from problems_in(inner, inner_rule, f"{path}.{name}" if path else name)


def field_problems(input_type: type, values: Mapping[str, Any]) -> list[Problem]:
    """What ``problems_in`` says of an ``input_type`` holding ``values`` (by Python field
    name), without building one: imports check every row of a sheet this way, so text (most
    of a sheet) goes straight to ``text_problem``."""
    found: list[Problem] = []
    for python_name, name, rule in _input_fields(input_type):
        value = values.get(python_name)
        if value is None:  # nothing to say of a missing value (the rules check those)
            continue
        if isinstance(value, str):  # an enum's text too
            if p := text_problem(value, rule):
                found.append(Problem(name, p))
        else:
            found.extend(problems_in(value, rule, name))
    return found


def _returns_invalid_input(field: StrawberryField) -> bool:
    from gql_crm.schema.common import InvalidInputError

    field_type = field.type
    return isinstance(field_type, StrawberryUnion) and any(
        member is cast(Any, InvalidInputError) for member in field_type.types
    )


class InputConstraints(FieldExtension):
    """Refuses a root field's call when any input breaks its constraint (see the module)."""

    def apply(self, field: StrawberryField) -> None:
        self.field_name = field.graphql_name or to_camel_case(field.python_name)
        # The ``input`` argument is the form: its fields are named as the form names them.
        self.arguments = tuple(
            (
                argument.python_name,
                ""
                if argument.python_name == "input"
                else argument.graphql_name or to_camel_case(argument.python_name),
                _declared(argument.metadata),
            )
            for argument in field.arguments
        )
        self.as_data = _returns_invalid_input(field)

    def _problems(self, kwargs: dict[str, Any]) -> list[Problem]:
        return [
            problem
            for python_name, name, rule in self.arguments
            if python_name in kwargs
            for problem in problems_in(kwargs[python_name], rule, name)
        ]

    def _refusal(self, problems: list[Problem]) -> Any:
        if self.as_data:
            from gql_crm.schema.common import error_from

            return error_from(InvalidInput(problems))
        listed = "; ".join(f"{p.field or 'input'}: {p.message}" for p in problems)
        raise BadRequest(f"{self.field_name}: {listed}")

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        if problems := self._problems(kwargs):
            return self._refusal(problems)
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        if problems := self._problems(kwargs):
            return self._refusal(problems)
        return await next_(source, info, **kwargs)


def constrain_root_fields(*root_types: type) -> None:
    """Give every field of these root types the ``InputConstraints`` extension, innermost so
    that the permission check still answers first."""
    for root_type in root_types:
        definition: StrawberryObjectDefinition = root_type.__strawberry_definition__  # type: ignore[attr-defined]
        for field in definition.fields:
            if field.arguments and not any(
                isinstance(e, InputConstraints) for e in field.extensions
            ):
                field.extensions.insert(0, InputConstraints())
