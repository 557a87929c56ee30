"""A document's selections read without graphql-core's executor, for the paths that answer
plain selections themselves: live events by projection (``subscriptions.py``) and reads
compiled to SQL (``compiled_planner.py``)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import ASTValidationRule

Selection = FieldNode | InlineFragmentNode | FragmentSpreadNode


class NotPlain(Exception):
    """The selection needs graphql-core (resolvers, abstract types...): use Strawberry."""


class Documents:
    """Query texts parsed and validated with the server's own rules and limits, cached: the
    same few documents arrive again and again."""

    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        validation_rules: Sequence[type[ASTValidationRule]],
        max_tokens: int,
        cache_size: int = 1024,
    ) -> None:
        self.schema = schema
        self._rules = [*specified_rules, *validation_rules]
        self._max_tokens = max_tokens
        self.get: Callable[[str], DocumentNode | None] = functools.lru_cache(cache_size)(
            self._parse
        )

    def _parse(self, query: str) -> DocumentNode | None:
        """The document, or None if it does not parse or validate (Strawberry reports why)."""
        try:
            document = parse(query, max_tokens=self._max_tokens)
        except GraphQLError:
            return None
        return None if validate(self.schema, document, self._rules) else document


def operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    """The operation a request names (or the only one), as graphql-core picks it."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        operations = [o for o in operations if o.name and o.name.value == name]
    if len(operations) != 1:
        raise NotPlain  # ambiguous or missing: Strawberry reports it
    return operations[0]


def fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def collect_fields(
    parent: GraphQLObjectType,
    selection_sets: list[SelectionSetNode],
    fragments: dict[str, FragmentDefinitionNode],
    included: Callable[[Selection], bool],
) -> dict[str, list[FieldNode]]:
    """Response key -> field nodes, in document order (graphql-core's CollectFields), for a
    concrete type: a fragment on any other type raises NotPlain. ``included`` decides the
    directives (and raises NotPlain for those it does not know)."""
    fields: dict[str, list[FieldNode]] = {}
    seen: set[str] = set()

    def visit(selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if not included(selection):  # type: ignore[arg-type]
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is not None and condition.name.value != parent.name:
                    raise NotPlain  # an interface or union condition
                visit(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in seen:
                    continue
                seen.add(name)
                fragment = fragments[name]
                if fragment.type_condition.name.value != parent.name:
                    raise NotPlain
                visit(fragment.selection_set)
            else:  # pragma: no cover - the language has no other selection
                raise NotPlain

    for selection_set in selection_sets:
        visit(selection_set)
    return fields


def plain_field(field: GraphQLField) -> Any:
    """The Strawberry definition of a field that only reads an attribute: no resolver,
    arguments, extensions, permission classes or directives. NotPlain otherwise: such a field
    runs code, and only graphql-core runs it faithfully."""
    definition = (field.extensions or {}).get("strawberry-definition")
    if (
        definition is None
        or field.args
        or definition.base_resolver is not None
        or definition.extensions
        or definition.permission_classes
        or definition.directives
    ):
        raise NotPlain
    return definition
