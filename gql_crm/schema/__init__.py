"""Builds the one GraphQL schema from every domain's query and mutation types."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode, validate
from graphql.validation import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.utils.str_converters import to_camel_case

from gql_crm.observability import schema_extensions
from gql_crm.schema.constraints import constrain_root_fields
from gql_crm.schema.cost import query_cost_rule
from gql_crm.schema.descriptions import describe
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
    hide_suggestions = False

    def _get_custom_context_kwargs(
        self, operation_extensions: dict[str, Any] | None = None, *, sync: bool = False
    ) -> dict[str, Any]:
        # Variable coercion's "Did you mean ..." (enum values, input fields) shows the schema.
        kwargs = super()._get_custom_context_kwargs(operation_extensions, sync=sync)
        return {**kwargs, "hide_suggestions": True} if self.hide_suggestions else kwargs

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Strawberry logs every error of a result with its traceback. A coded error (no
        token, a missing permission, a bad argument) is an answer, not an incident, and
        ``ErrorPolicy`` already logs the unexpected ones with theirs."""
        for error in errors:
            logger.debug("GraphQL error: %s", error.message)


class _ParserCache(ParserCache):
    """Strawberry's ParserCache parses in its hook, where a syntax error escapes the
    operation (and with it the error policy: no code). Such documents are left to
    Strawberry's own parse, which reports the error as part of the operation."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


class _CachedValidation(SchemaExtension):
    """Strawberry's ValidationCache, with graphql-core's ``hide_suggestions`` when asked: its
    "Did you mean ...?" names fields and types that introspection is meant to keep hidden."""

    def __init__(self, validate_document: Callable[..., list[GraphQLError]]) -> None:
        super().__init__()
        self.validate_document = validate_document

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        errors = self.validate_document(context.schema._schema, document, context.validation_rules)
        if not errors and context._provided_operation_name is None and document is not None:
            # Strawberry would run the first one; the GraphQL specification refuses.
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) > 1:
                errors = [
                    GraphQLError(
                        "The document has several operations: name one in operationName.",
                        extensions={"code": "OPERATION_RESOLUTION_FAILURE"},
                    )
                ]
        context.pre_execution_errors = errors
        yield


def _document_validation(*, hide_suggestions: bool) -> Callable[..., list[GraphQLError]]:
    """One LRU cache per schema, shared by the per-operation extension instances."""

    @functools.lru_cache(maxsize=512)
    def validate_document(
        schema: GraphQLSchema,
        document: DocumentNode,
        rules: tuple[type[ASTValidationRule], ...],
    ) -> list[GraphQLError]:
        # The rules Strawberry's own validation adds.
        rules = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
        return validate(schema, document, rules, hide_suggestions=hide_suggestions)

    return validate_document


def validation_limits(settings: Settings) -> list[type[ASTValidationRule]]:
    """The depth, alias and cost limits as validation rules (also checked by the direct
    path)."""
    # Built once per schema: the validation cache is keyed by the rule classes, and a limiter
    # built per operation makes new classes (and never hits).
    return [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        query_cost_rule(
            settings.max_query_cost, settings.default_page_size, settings.max_page_size
        ),
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
    hide_suggestions = not settings.introspection_enabled
    validate_document = _document_validation(hide_suggestions=hide_suggestions)
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: _ParserCache(maxsize=512),
        lambda: AddValidationRules(limits),
        lambda: _CachedValidation(validate_document),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: ErrorPolicy(debug=settings.debug),
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    extensions.extend(schema_extensions(settings))
    schema = _Schema(
        query=root.Query,
        mutation=root.Mutation,
        subscription=root.Subscription,
        extensions=extensions,
        types=[*root.ERROR_TYPES, *root.OTHER_TYPES],
        config=StrawberryConfig(name_converter=_NameConverter()),
    )
    schema.hide_suggestions = hide_suggestions
    describe(schema._schema)
    return schema


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
