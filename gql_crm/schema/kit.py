"""What every domain's GraphQL types share, so that a field is written once: on its column.

``class ProjectType(ModelType, model=Project, fields="id name owner_id")`` is a type whose
fields take their GraphQL types from the model's columns, and ``ModelInput`` does the same for
an input, its limits included (a ``String(200)`` is single-line text of at most 200
characters, a non-null one must not be blank); fields written out in the class override or
add to them. ``ModelType.from_model`` fills a type from a row by field name; ``values_of``
turns an input into the column values a service writes; ``related`` is a field reading
related rows through a load function (or, given a model, its rows by id).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
from collections.abc import Callable
from typing import Annotated, Any, Self

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.types.field import StrawberryField

from gql_crm.context import Info
from gql_crm.loaders.batch import rows_by_id
from gql_crm.schema.common import requires
from gql_crm.schema.constraints import column_limits

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


def _columns(model: type, names: str) -> dict[str, Any]:
    """The named columns of ``model``: name -> column."""
    table = model.__table__  # type: ignore[attr-defined]
    return {name: table.c[name] for name in names.split()}


def _kind(column: Any) -> Any:
    kind = column.type.python_type
    return kind | None if column.nullable else kind


def _describe_from_columns(cls: type, model: type) -> None:
    """Give each field of ``cls`` named like a column of ``model`` that column's ``doc`` as
    its description, unless the field states one of its own."""
    columns = model.__table__.c  # type: ignore[attr-defined]
    for name in cls.__annotations__:
        doc = columns[name].doc if name in columns else None
        if not doc:
            continue
        declared = cls.__dict__.get(name, dataclasses.MISSING)
        if isinstance(declared, StrawberryField):
            declared.description = declared.description or doc
        else:
            setattr(cls, name, strawberry.field(default=declared, description=doc))


class ModelType:
    """A GraphQL object type read from one model row: each plain field takes the row's
    attribute of the same name; fields with resolvers read what they need themselves.
    ``model=…, fields="…"`` in the class statement declares plain fields as the columns are;
    with ``model``, fields named like its columns are described by the columns' ``doc``."""

    def __init_subclass__(cls, *, model: type | None = None, fields: str = "") -> None:
        super().__init_subclass__()
        if model is not None:
            derived = {name: _kind(column) for name, column in _columns(model, fields).items()}
            cls.__annotations__ = {**derived, **inspect.get_annotations(cls)}
            _describe_from_columns(cls, model)

    @classmethod
    def from_model(cls, row: Any) -> Self:
        plain, keeps_model = _fields(cls)
        values = {name: getattr(row, name) for name in plain}
        if keeps_model:
            values[MODEL_FIELD] = row
        return cls(**values)


class ModelInput:
    """An input whose ``fields`` are columns of ``model``: each takes the column's type, a
    nullable one is optional, and text takes the column's limits; fields named like its
    columns are described by the columns' ``doc``."""

    def __init_subclass__(cls, *, model: type | None = None, fields: str = "") -> None:
        super().__init_subclass__()
        if model is None:
            return
        own = inspect.get_annotations(cls)  # a column written out keeps its place in ``fields``
        derived: dict[str, Any] = {}
        for name, column in _columns(model, fields).items():
            if name in own:
                derived[name] = own[name]
                continue
            derived[name] = _kind(column)
            default = None if column.nullable else dataclasses.MISSING
            setattr(cls, name, strawberry.field(metadata=column_limits(column), default=default))
        cls.__annotations__ = {**derived, **own}
        _describe_from_columns(cls, model)


def owner_field(role: str = "Owner") -> Any:
    """An input's responsible user, as ``services.records.owned`` treats it."""
    return strawberry.field(
        default=None,
        description=f"{role}: you or someone in your data scope; left out, you when creating "
        "and unchanged when updating.",
    )


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
    load: Callable[..., Any] | str | type,
    *,
    many: bool = False,
    scoped: bool = False,
    module: str | None = None,
    needs: str | None = None,
    description: str | None = None,
) -> Any:
    """A field with the ``node`` that ``load`` (a load function of ``loaders/``, the name of a
    declared loader, or a model: its row by id) gives for this object's ``key`` — with
    ``many``, the list of them;
    ``scoped``: ``load`` keeps what the caller may see; ``needs``: the permission it declares.
    A type defined later is named as a string, with its ``module``."""
    annotation: Any = (
        Annotated[node, strawberry.lazy(module or "")] if isinstance(node, str) else node
    )
    reads: Any = rows_by_id(load) if isinstance(load, type) else load

    @functools.cache
    def kind() -> Any:
        return (
            getattr(importlib.import_module(module or ""), node) if isinstance(node, str) else node
        )

    async def resolve(self: Any, info: Info) -> Any:
        value = getattr(self, key)
        if value is None:
            return [] if many else None
        loaders = info.context.loaders
        if isinstance(reads, str):
            found = await getattr(loaders, reads).load(value)
        else:
            found = await (loaders.scoped(reads) if scoped else loaders.of(reads)).load(value)
        if many:
            return [kind().from_model(row) for row in found]
        return kind().from_model(found) if found is not None else None

    result = list[annotation] if many else annotation | None
    resolve.__annotations__ = {"info": Info, "return": result}
    extensions: list[FieldExtension] = [requires(needs)] if needs else []
    return strawberry.field(resolver=resolve, extensions=extensions, description=description)
