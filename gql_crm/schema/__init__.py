"""Builds the one GraphQL schema from every domain's query and mutation types."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.tools import merge_types

from gql_crm.resolvers.auth import AuthMutation, AuthQuery
from gql_crm.resolvers.department import DepartmentMutation, DepartmentQuery
from gql_crm.resolvers.operation_log import OperationLogQuery
from gql_crm.resolvers.position import PositionMutation, PositionQuery
from gql_crm.resolvers.setting import SettingMutation, SettingQuery
from gql_crm.resolvers.user import UserMutation, UserQuery
from gql_crm.schema.common import ConflictError, InvalidInputError, NotFoundError
from gql_crm.schema.errors import ErrorPolicy
from gql_crm.settings import Settings

Query = merge_types(
    "Query",
    (AuthQuery, UserQuery, DepartmentQuery, PositionQuery, SettingQuery, OperationLogQuery),
)
Mutation = merge_types(
    "Mutation",
    (AuthMutation, UserMutation, DepartmentMutation, PositionMutation, SettingMutation),
)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema with the protections ``settings`` ask for (defaults when None)."""
    settings = settings or Settings()
    # Factories: Strawberry builds fresh extension instances for every operation.
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: ErrorPolicy(debug=settings.debug),
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        types=[InvalidInputError, NotFoundError, ConflictError],
    )


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
