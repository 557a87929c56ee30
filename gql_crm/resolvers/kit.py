"""A domain's mutations and lists, one declaration each: the kit writes the resolver.

``mutation(service.save, ProjectSuccess, needs=CODE, id=int, input=ProjectInput)`` is a
mutation field taking those arguments that runs ``service.save(uow, id=…, input=…)`` in one
unit of work (input objects arrive as ``values_of`` dicts), wraps the row it returns in the
success type, and answers expected failures as the usual error types; ``connection`` is a
paged list over a service's query. The permission is declared as everywhere else.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, get_origin

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.types.base import StrawberryList

from gql_crm.context import Info
from gql_crm.db.pagination import SortKey
from gql_crm.resolvers.common import mutate, paginate
from gql_crm.schema.common import (
    ConflictError,
    Connection,
    DeleteSuccess,
    InvalidInputError,
    NotFoundError,
    deleted,
    requires,
)
from gql_crm.schema.descriptions import words
from gql_crm.schema.kit import values_of
from gql_crm.services.records import Records

_KEYWORD = inspect.Parameter.KEYWORD_ONLY


@functools.cache
def success(node: type, field: str) -> type:
    """``<Node>Success { <field>: Node! }``: what a mutation answers with the row it wrote."""
    name = f"{node.__strawberry_definition__.name}Success"  # type: ignore[attr-defined]
    return strawberry.type(type(name, (), {"__annotations__": {field: node}}))


STANDARD_FAILURES = (InvalidInputError, NotFoundError, ConflictError)


@functools.cache
def outcome(success: type, *failures: type, name: str | None = None) -> Any:
    """The result union of a mutation: ``success`` or one of ``failures`` (by default the
    standard three), named ``<Success>Result`` unless ``name`` says otherwise."""
    members: Any = success
    for failure in failures or STANDARD_FAILURES:
        members = members | failure
    name = name or success.__strawberry_definition__.name.removesuffix("Success") + "Result"  # type: ignore[attr-defined]
    return Annotated[members, strawberry.union(name)]


def _wrapper(success: type) -> Callable[[Any], Any]:
    """Row -> success: ``DeleteSuccess`` takes the id, others the row (or rows) as their one
    field."""
    if success is DeleteSuccess:
        return deleted
    [field] = success.__strawberry_definition__.fields  # type: ignore[attr-defined]
    node: Any = field.type
    if isinstance(node, StrawberryList):  # a batch: the rows it wrote
        item: Any = node.of_type
        return lambda rows: success(**{field.python_name: [item.from_model(r) for r in rows]})
    return lambda row: success(**{field.python_name: node.from_model(row)})


@dataclasses.dataclass(frozen=True)
class Default:
    """An argument of type ``kind`` that may be left out, meaning ``value``."""

    kind: Any
    value: Any


def default(kind: Any, value: Any) -> Any:
    """``flag=default(bool, False)``: an argument with a default other than null."""
    return Default(kind, value)


def described(kind: Any, text: str) -> Any:
    """``status=described(Status | None, "Only those in this status.")``: an argument of type
    ``kind`` with its description."""
    return Annotated[kind, strawberry.argument(description=text)]


def given(kind: Any) -> Any:
    """``parent_id=given(int | None)``: a nullable argument the caller must still give (null
    says something, such as "no parent")."""
    return Default(kind, inspect.Parameter.empty)


def _signature(resolve: Callable[..., Any], arguments: dict[str, Any], result: Any) -> None:
    """Give a generated resolver the signature Strawberry reads its arguments from."""
    kinds = {name: _kind(kind) for name, kind in arguments.items()}
    parameters = [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("info", _KEYWORD, annotation=Info),
        *(
            inspect.Parameter(name, _KEYWORD, annotation=kinds[name], default=_default(kind))
            for name, kind in arguments.items()
        ),
    ]
    resolve.__signature__ = inspect.Signature(parameters, return_annotation=result)  # type: ignore[attr-defined]
    resolve.__annotations__ = {"info": Info, **kinds, "return": result}


def _kind(kind: Any) -> Any:
    return kind.kind if isinstance(kind, Default) else kind


def _default(kind: Any) -> Any:
    if isinstance(kind, Default):
        return kind.value
    if get_origin(kind) is Annotated:  # look through constraint metadata
        kind = kind.__origin__
    optional = type(None) in getattr(kind, "__args__", ())
    return None if optional else inspect.Parameter.empty


def _values(given: dict[str, Any]) -> dict[str, Any]:
    """Arguments as a service takes them: input objects as ``values_of`` dicts (lists of
    them as lists of dicts)."""
    return {name: _value(value) for name, value in given.items()}


def _value(value: Any) -> Any:
    if isinstance(value, list):
        return [_value(item) for item in value]
    return values_of(value) if dataclasses.is_dataclass(value) else value


def mutation(
    operation: Callable[..., Awaitable[Any]],
    success: type,
    *,
    needs: str | None,
    description: str | None = None,
    failures: tuple[type, ...] = (),
    union: str | None = None,
    **arguments: Any,
) -> Any:
    """A mutation field running ``operation(uow, **arguments)``; see the module docstring.
    ``failures`` and ``union`` name its result union's error members and name (``outcome``);
    ``needs`` None: a mutation open to every signed-in user (its service decides)."""
    wrap = _wrapper(success)

    async def resolve(self: Any, info: Info, **given: Any) -> Any:
        info.context.require_principal()  # signed in, whatever the permission
        values = _values(given)
        return await mutate(info, lambda uow: operation(uow, **values), wrap)

    _signature(resolve, arguments, outcome(success, *failures, name=union))
    extensions: list[FieldExtension] = [requires(needs)] if needs else []
    return strawberry.mutation(resolver=resolve, extensions=extensions, description=description)


def writes(
    records: Records[Any], success: type, input: type, needs: tuple[str, str, str], **parents: Any
) -> tuple[Any, ...]:
    """The create, update and delete mutations of a kind of record (``services/records.py``),
    then restore and purge when it has a recycle bin; ``needs`` are the permissions to create,
    update and delete (restore and purge need delete's); ``parents`` are create's arguments."""
    create, update, delete = needs
    into_bin = records.binned is not None
    kind = words(success.__strawberry_definition__.name.removesuffix("Success"))  # type: ignore[attr-defined]
    fields = [
        mutation(
            records.create, success, needs=create, **parents, input=input,
            description=f"Creates a {kind}.",
        ),
        mutation(
            records.update, success, needs=update, id=int, input=input,
            description=f"Changes a {kind} to the input's values.",
        ),
        mutation(
            records.delete, DeleteSuccess, needs=delete, id=int,
            description=f"Moves a {kind} into your recycle bin." if into_bin
            else f"Deletes a {kind} for good.",
        ),
    ]  # fmt: skip
    if into_bin:
        fields.append(
            mutation(
                records.restore, success, needs=delete, id=int,
                description=f"Brings a {kind} back from the recycle bin, as it was.",
            )
        )  # fmt: skip
        fields.append(
            mutation(
                records.purge, DeleteSuccess, needs=delete, id=int,
                description=f"Deletes a {kind} in the recycle bin for good.",
            )
        )  # fmt: skip
    return tuple(fields)


@dataclasses.dataclass(frozen=True, slots=True)
class Listed:
    """What a ``connection`` field lists: its service's query, node type, order and
    arguments, from which compiled reads (``direct/``) answer it too."""

    query: Callable[..., Any]
    node: Any
    order: Sequence[SortKey]
    arguments: dict[str, Any]


LISTED: dict[Callable[..., Any], Listed] = {}  # by the resolver ``connection`` wrote


def connection(
    query: Callable[..., Any],
    node: Any,
    order: Sequence[SortKey],
    *,
    needs: str | None = None,
    description: str | None = None,
    **arguments: Any,
) -> Any:
    """A paged list of ``node`` over ``query(principal, **arguments)`` in ``order``; name
    ``first`` and ``after`` among ``arguments`` to place them elsewhere than last."""

    async def resolve(
        self: Any, info: Info, first: Any = None, after: Any = None, **given: Any
    ) -> Any:
        stmt = query(info.context.require_principal(), **_values(given))
        return await paginate(info, stmt, order, first=first, after=after, to_node=node.from_model)

    paging = {**arguments, "first": int | None, "after": str | None}
    _signature(resolve, paging, Connection[node])
    LISTED[resolve] = Listed(query, node, order, arguments)
    extensions: list[FieldExtension] = [requires(needs)] if needs else []
    return strawberry.field(resolver=resolve, extensions=extensions, description=description)
