"""What every domain's GraphQL types share, so that a field is written once: on its type.

``ModelType.from_model`` fills a type from a row by field name; ``values_of`` turns an input
into the column values a service writes. A type or input states its fields (and, with
``constraint(...)``, their limits) and nothing restates them.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Self

MODEL_FIELD = "_model"
"""A private field of this name receives the row itself (for fields resolved from it)."""


@functools.cache
def _plain_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.init and f.name != MODEL_FIELD)


@functools.cache
def _keeps_model(cls: type) -> bool:
    return any(f.name == MODEL_FIELD for f in dataclasses.fields(cls))


class ModelType:
    """A GraphQL object type read from one model row: each plain field takes the row's
    attribute of the same name; fields with resolvers read what they need themselves."""

    @classmethod
    def from_model(cls, row: Any) -> Self:
        values = {name: getattr(row, name) for name in _plain_fields(cls)}
        if _keeps_model(cls):
            values[MODEL_FIELD] = row
        return cls(**values)


def values_of(data: Any, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """An input's values by field name, as the model's columns are named; text is stripped
    and blank optional text becomes null."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(data):
        if field.name in skip:
            continue
        value = getattr(data, field.name)
        if isinstance(value, str):
            value = value.strip() or (None if field.default is None else value.strip())
        values[field.name] = value
    return values
