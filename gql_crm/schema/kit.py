"""What every domain's GraphQL types share, so that a field is written once: on its type.

``ModelType.from_model`` fills a type from a row by field name; ``values_of`` turns an input
into the column values a service writes. A type or input states its fields (and, with
``constraint(...)``, their limits) and nothing restates them.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Self

MODEL_FIELD = "_model"
"""A private field of this name receives the row itself (for fields resolved from it)."""


_FIELDS: dict[type, tuple[tuple[str, ...], bool]] = {}


def _fields(cls: type) -> tuple[tuple[str, ...], bool]:
    """The type's plain fields, and whether it keeps the row (computed once per type)."""
    found = _FIELDS.get(cls)
    if found is None:
        names = [f.name for f in dataclasses.fields(cls) if f.init]
        plain = tuple(name for name in names if name != MODEL_FIELD)
        found = _FIELDS[cls] = (plain, MODEL_FIELD in names)
    return found


class ModelType:
    """A GraphQL object type read from one model row: each plain field takes the row's
    attribute of the same name; fields with resolvers read what they need themselves."""

    @classmethod
    def from_model(cls, row: Any) -> Self:
        plain, keeps_model = _fields(cls)
        values = {name: getattr(row, name) for name in plain}
        if keeps_model:
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
