from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from gql_crm.context import Info
from gql_crm.db import pagination
from gql_crm.db.pagination import SortKey
from gql_crm.schema.common import Connection, error_from, page_size
from gql_crm.services.errors import DomainError
from gql_crm.services.unit_of_work import UnitOfWork

R = TypeVar("R")
S = TypeVar("S")
M = TypeVar("M")
N = TypeVar("N")

if TYPE_CHECKING:  # types only: resolvers run no SQL themselves
    from sqlalchemy import Select
    from sqlalchemy.ext.asyncio import AsyncSession


async def mutate(
    info: Info, operation: Callable[[UnitOfWork], Awaitable[R]], success: Callable[[R], S]
) -> Any:
    """Run ``operation`` in one unit of work and wrap its result in the success type.

    Expected failures (domain errors) become the matching error type. The result is typed
    ``Any`` because each mutation declares its own union of these types.
    """
    try:
        async with info.context.unit_of_work() as uow:
            result = await operation(uow)
    except DomainError as error:
        return error_from(error)
    return success(result)


async def paginate(
    info: Info,
    stmt: Select[M],
    keys: Sequence[SortKey],
    *,
    first: int | None,
    after: str | None,
    to_node: Callable[[M], N],
) -> Connection[N]:
    page, count = await pagination.read_page(
        info.context.loaders.reads, stmt, keys, first=page_size(info, first), after=after
    )
    return Connection.build(page, [to_node(item) for item in page.items], count)


async def read(info: Info, query: Callable[[AsyncSession], Awaitable[R]]) -> R:
    """Run a service's read on the request's read session (where loaders read too)."""
    return await pagination.read(info.context.loaders.reads, query)
