"""Shapes shared by every domain: the Error interface, connections, the permission directive."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import strawberry
from graphql import GraphQLErrorExtensions, GraphQLField
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location
from strawberry.types.field import StrawberryField

from gql_crm.auth.principal import Forbidden, forbidden_message
from gql_crm.db.pagination import Page
from gql_crm.services import errors

if TYPE_CHECKING:
    from gql_crm.context import Info

T = TypeVar("T")


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="requiresPermission",
    description="The field needs this permission code (see the permissionCatalog query).",
)
class RequiresPermission:
    permission: str


class HasPermission(BasePermission):
    """The one declaration of a field's permission: checked by Strawberry before the resolver
    runs, shown as ``@requiresPermission`` in the schema, and read by the paths that answer
    without Strawberry's executor (``declared_permissions``)."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.message = forbidden_message(code)
        self.error_extensions: GraphQLErrorExtensions = {"code": "FORBIDDEN"}
        self._directive = RequiresPermission(permission=code)

    @property
    def schema_directive(self) -> object:
        return self._directive

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.require_principal().has(self.code)

    def on_unauthorized(self) -> None:
        # Forbidden, as services raise it, so the error policy codes it (a GraphQLError
        # raised by a resolver would count as unexpected and be masked).
        raise Forbidden(forbidden_message(self.code))


def requires(code: str) -> PermissionExtension:
    """The field extension declaring that a field needs ``code``:
    ``@strawberry.mutation(extensions=[requires(PRODUCT_CREATE)])``."""
    return PermissionExtension(permissions=[HasPermission(code)], use_directives=True)


class SettingOn(BasePermission):
    """The company's system setting ``setting`` is on: the fields of a module the company
    may turn off declare it beside their permission."""

    def __init__(self, setting: str, refusal: str) -> None:
        self.setting = setting
        self.refusal = refusal
        self.message = refusal
        self.error_extensions: GraphQLErrorExtensions = {"code": errors.ModuleDisabled.code}

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        settings = await info.context.loaders.settings()
        return bool(getattr(settings, self.setting))

    def on_unauthorized(self) -> None:
        raise errors.ModuleDisabled(self.refusal)


def while_on(setting: str, refusal: str) -> PermissionExtension:
    """The field extension refusing a field (with ``refusal``, coded MODULE_DISABLED) while
    the company's system setting ``setting`` is off."""
    return PermissionExtension(permissions=[SettingOn(setting, refusal)], use_directives=False)


def declared_checks(field: StrawberryField | GraphQLField) -> list[BasePermission]:
    """The checks a field declares: ``requires`` and ``while_on`` (none for most fields)."""
    if isinstance(field, GraphQLField):
        definition = (field.extensions or {}).get("strawberry-definition")
        if not isinstance(definition, StrawberryField):
            return []
        field = definition
    return [
        permission
        for extension in field.extensions
        if isinstance(extension, PermissionExtension)
        for permission in extension.permissions
    ]


def declared_permissions(field: StrawberryField | GraphQLField) -> tuple[str, ...]:
    """The permission codes a field declares with ``requires`` (none for most fields)."""
    return tuple(check.code for check in declared_checks(field) if isinstance(check, HasPermission))


@strawberry.interface(description="An expected failure, returned as data by mutations.")
class Error:
    code: str = strawberry.field(description="Stable machine-readable code.")
    message: str = strawberry.field(description="What went wrong, for people.")
    field: str | None = strawberry.field(description="The input field concerned, if one.")


@strawberry.type(description="One input field that was refused, and why.")
class FieldProblem:
    field: str = strawberry.field(description="The input field, as the input names it.")
    message: str = strawberry.field(description="Why it was refused, for people.")


@strawberry.type(description="Input was refused; `problems` names every bad field.")
class InvalidInputError(Error):
    problems: list[FieldProblem] = strawberry.field(
        description="Every field that was refused, with the reason."
    )


@strawberry.type(description="The record does not exist or is not visible to you.")
class NotFoundError(Error):
    pass


@strawberry.type(description="The change contradicts the current state (in use, duplicate, cycle).")
class ConflictError(Error):
    pass


@strawberry.type(description="The login name or password is wrong (which one is not said).")
class InvalidCredentialsError(Error):
    pass


@strawberry.type(description="Too many failed sign-ins for this login name from this address.")
class TooManyAttemptsError(Error):
    retry_at: datetime = strawberry.field(description="When signing in may be tried again.")


E = TypeVar("E", bound=errors.DomainError)
_DOMAIN_ERRORS: dict[type[errors.DomainError], Callable[[Any], Error]] = {}


def register_error(domain: type[E], convert: Callable[[E], Error]) -> None:
    """How one domain's own failure reaches clients: its schema module registers this beside
    its error type, and ``error_from`` finds it by the failure's class."""
    _DOMAIN_ERRORS[domain] = convert


def error_from(error: errors.DomainError) -> Error:
    """The GraphQL error type for a domain error."""
    convert = _DOMAIN_ERRORS.get(type(error))
    if convert is not None:
        return convert(error)
    match error:
        case errors.InvalidInput(problems=problems):
            return InvalidInputError(
                code=error.code,
                message=error.message,
                field=error.field,
                problems=[FieldProblem(field=p.field, message=p.message) for p in problems],
            )
        case errors.NotFound():
            return NotFoundError(code=error.code, message=error.message, field=error.field)
        case errors.TooManyAttempts(retry_at=retry_at):
            return TooManyAttemptsError(
                code=error.code, message=error.message, field=error.field, retry_at=retry_at
            )
        case errors.InvalidCredentials():
            return InvalidCredentialsError(
                code=error.code, message=error.message, field=error.field
            )
        case _:
            return ConflictError(code=error.code, message=error.message, field=error.field)


@strawberry.type
class DeleteSuccess:
    id: int


def deleted(record_id: int) -> DeleteSuccess:
    return DeleteSuccess(id=record_id)


def page_size(info: Info, first: int | None) -> int:
    """How many records a page lists: ``first`` (the default page size when not given),
    within the largest page the server allows."""
    from gql_crm.schema.errors import BadRequest  # errors reach the subscriptions' modules

    settings = info.context.services.settings
    if first is None:
        return settings.default_page_size
    if first < 0 or first > settings.max_page_size:
        raise BadRequest(f"first must be between 0 and {settings.max_page_size} (got {first}).")
    return first


@strawberry.type(description="Where a page stands in its list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type(description="A page of a list; `totalCount` counts the whole filtered list.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    nodes: list[T] = strawberry.field(
        description="The records of this page, in order: the edges' nodes, without cursors."
    )
    page_info: PageInfo
    # Counts the whole filtered list; supplied by whoever read the page (types read nothing).
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Counted only when asked for.")
    async def total_count(self) -> int:
        return await self._count()

    @classmethod
    def build(
        cls,
        page: Page[Any],
        nodes: list[T],
        count: Callable[[], Awaitable[int]] | None = None,
    ) -> Connection[T]:
        """The connection of ``page``, listing ``nodes`` (its items as the schema's types);
        ``count`` counts the whole list, unless the page's statement counted it."""
        if count is None:
            count = _counted(page)
        return cls(
            edges=[Edge(node=n, cursor=c) for n, c in zip(nodes, page.cursors, strict=True)],
            nodes=nodes,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
            _count=count,
        )


def _counted(page: Page[Any]) -> Callable[[], Awaitable[int]]:
    total = page.total
    if total is None:
        raise ValueError("a page read without its count needs a way to count its list")

    async def count() -> int:
        return total

    return count
