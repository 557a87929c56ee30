"""Builds the one GraphQL schema from every domain's query and mutation types."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.utils.str_converters import to_camel_case

from gql_crm.observability import schema_extensions
from gql_crm.schema.constraints import constrain_root_fields
from gql_crm.schema.errors import ErrorPolicy
from gql_crm.settings import Settings

logger = logging.getLogger("gql_crm.errors")


class _NameConverter(NameConverter):
    """Strawberry converts each argument's name to camelCase again on every resolver call
    (a regular expression per argument, per field, per request); the names never change."""

    def apply_naming_config(self, name: str) -> str:
        return _camel_case(name) if self.auto_camel_case else name


_camel_case = functools.cache(to_camel_case)


class _Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Strawberry logs every error of a result with its traceback. A coded error (no
        token, a missing permission, a bad argument) is an answer, not an incident, and
        ``ErrorPolicy`` already logs the unexpected ones with theirs."""
        for error in errors:
            logger.debug("GraphQL error: %s", error.message)


def validation_limits(settings: Settings) -> list[type[ASTValidationRule]]:
    """The depth and alias limits as validation rules (also checked by the direct path)."""
    # Built once per schema: the validation cache is keyed by the rule classes, and a limiter
    # built per operation makes new classes (and never hits).
    return [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]


def build_schema(
    settings: Settings | None = None, limits: list[type[ASTValidationRule]] | None = None
) -> strawberry.Schema:
    """The schema with the protections ``settings`` ask for (defaults when None)."""
    # Resolvers import the types of this package, so the root types are assembled here.
    from gql_crm.resolvers import root

    constrain_root_fields(root.Query, root.Mutation)
    settings = settings or Settings()
    limits = limits if limits is not None else validation_limits(settings)
    # Factories: Strawberry builds fresh extension instances for every operation.
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: ParserCache(maxsize=512),
        lambda: AddValidationRules(limits),
        lambda: ValidationCache(maxsize=512),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: ErrorPolicy(debug=settings.debug),
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    extensions.extend(schema_extensions(settings))
    return _Schema(
        query=root.Query,
        mutation=root.Mutation,
        subscription=root.Subscription,
        extensions=extensions,
        types=[*root.ERROR_TYPES, *root.OTHER_TYPES],
        config=StrawberryConfig(name_converter=_NameConverter()),
    )


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
