"""What every domain's GraphQL types share, so that a field is written once: on its type.

``ModelType.from_model`` fills a type from a row by field name; ``values_of`` turns an input
into the column values a service writes; ``related`` is a field reading related rows through
a load function. A type or input states its fields (and, with ``constraint(...)``, their
limits) and nothing restates them.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import Annotated, Any, Self

import strawberry
from strawberry.extensions import FieldExtension

from gql_crm.context import Info
from gql_crm.schema.common import requires

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
        if type(value) is str:  # not a str-valued enum member, which stays as it is
            value = value.strip() or (None if field.default is None else value.strip())
        values[field.name] = value
    return values


def related(
    node: type | str,
    key: str,
    load: Callable[..., Any] | str,
    *,
    many: bool = False,
    scoped: bool = False,
    module: str | None = None,
    needs: str | None = None,
    description: str | None = None,
) -> Any:
    """A field with the ``node`` that ``load`` (a load function of ``loaders/``, or the name of
    a declared loader) gives for this object's ``key`` — with ``many``, the list of them;
    ``scoped``: ``load`` keeps what the caller may see; ``needs``: the permission it declares.
    A type defined later is named as a string, with its ``module``."""
    annotation: Any = (
        Annotated[node, strawberry.lazy(module or "")] if isinstance(node, str) else node
    )

    async def resolve(self: Any, info: Info) -> Any:
        value = getattr(self, key)
        if value is None:
            return [] if many else None
        loaders = info.context.loaders
        if isinstance(load, str):
            found = await getattr(loaders, load).load(value)
        else:
            found = await (loaders.scoped(load) if scoped else loaders.of(load)).load(value)
        kind: Any = (
            getattr(importlib.import_module(module or ""), node) if isinstance(node, str) else node
        )
        if many:
            return [kind.from_model(row) for row in found]
        return kind.from_model(found) if found is not None else None

    result = list[annotation] if many else annotation | None
    resolve.__annotations__ = {"info": Info, "return": result}
    extensions: list[FieldExtension] = [requires(needs)] if needs else []
    return strawberry.field(resolver=resolve, extensions=extensions, description=description)
