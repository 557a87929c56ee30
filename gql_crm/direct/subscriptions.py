"""Subscriptions delivered without running graphql-core for every event.

Strawberry turns each event of a subscription into a full graphql-core execution (a map over
the source stream, then ``execute``), runs the schema extensions over the result and logs
every error with its traceback. An announcement to N subscribers pays that N times, on one
core. Yet what a live payload selects is nearly always plain data already in the event
(``notification { id kind linkId }``): fields without resolvers, arguments or abstract types.

For such a document the selection set is compiled once, when the client subscribes, into a
projection: a few nested functions that read the attributes the document selects and
serialize them with the schema's own scalar and enum serializers. Each event then costs the
feed's own checks (the same code the Strawberry resolver runs: scope is checked per event,
whichever path delivers it) plus the projection and one frame. The permission the
subscription field declares (``requires``) is checked once, when the client subscribes.

Anything else (a field with a resolver, arguments below the root, interfaces or unions,
directives other than @skip/@include, a document that does not validate) goes through
Strawberry unchanged, which also reports every error exactly as before.
"""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLFormattedError,
    GraphQLIncludeDirective,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
)
from graphql.execution.values import (
    VariableValues,
    get_argument_values,
    get_directive_values,
    get_variable_values,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    NextMessage,
    NextMessagePayload,
)

from gql_crm.context import Context
from gql_crm.direct.selections import (
    Documents,
    NotPlain,
    collect_fields,
    fragments,
    plain_field,
)
from gql_crm.direct.selections import operation as document_operation
from gql_crm.schema.common import declared_permissions
from gql_crm.subscriptions.live import FEEDS, Feed, FeedFactory, LoadingFeed

logger = logging.getLogger("gql_crm.subscriptions")

Projection = Callable[[Any], Any]


class NullInNonNull(Exception):
    """A value the schema declares non-null was None: a bug, reported as an internal error."""


@dataclass(frozen=True, slots=True)
class DirectSubscription:
    """One subscribe message that can be served by projection."""

    feed: FeedFactory
    arguments: dict[str, Any]
    key: str  # the root field's response key (its alias, if any)
    project: Projection

    def data(self, item: object) -> dict[str, Any]:
        return {self.key: self.project(item)}

    def next_message(
        self,
        operation_id: str,
        item: object,
        process: Callable[[list[GraphQLError]], list[GraphQLError]],
    ) -> NextMessage:
        """The ``next`` message that sends ``item`` (a coded error if the schema's promise
        of non-null is broken)."""
        try:
            payload = NextMessagePayload(data=self.data(item))
        except NullInNonNull as error:
            payload = NextMessagePayload(data=None, errors=error_payload(error, process))
        return NextMessage(id=operation_id, type="next", payload=payload)


_SKIP_INCLUDE = {GraphQLSkipDirective.name, GraphQLIncludeDirective.name}


class DirectPlanner:
    """Decides, per subscribe message, whether a subscription can bypass graphql-core."""

    def __init__(
        self,
        documents: Documents,
        *,
        argument_names: dict[str, dict[str, str]],
        cache_size: int = 256,
    ) -> None:
        self.schema = documents.schema
        self._documents = documents
        # Per feed, GraphQL argument name -> the feed's keyword argument.
        self._argument_names = argument_names
        self._cache_size = cache_size
        # Thousands of clients send the same subscribe message: its plan (the projection's
        # closures, a few KB) is compiled once and shared. A plan holds no per-client state;
        # its arguments are passed to each feed as keywords, never changed.
        self._plans: OrderedDict[tuple[str, str | None, bytes], DirectSubscription | None] = (
            OrderedDict()
        )

    def plan(
        self, query: object, variables: object, operation_name: object
    ) -> DirectSubscription | None:
        """The direct plan, or None to let Strawberry handle the operation as usual."""
        if not isinstance(query, str) or not (variables is None or isinstance(variables, dict)):
            return None
        if operation_name is not None and not isinstance(operation_name, str):
            return None
        key = _plan_key(query, variables, operation_name)
        if key is not None and key in self._plans:
            self._plans.move_to_end(key)
            return self._plans[key]
        plan: DirectSubscription | None = None
        document = self._documents.get(query)
        if document is not None:
            with contextlib.suppress(NotPlain):
                plan = self._plan(document, variables or {}, operation_name)
        if key is not None:
            self._plans[key] = plan
            if len(self._plans) > self._cache_size:
                self._plans.popitem(last=False)
        return plan

    def _plan(
        self, document: DocumentNode, inputs: dict[str, Any], operation_name: str | None
    ) -> DirectSubscription:
        operation = document_operation(document, operation_name)
        if operation.operation is not OperationType.SUBSCRIPTION:
            raise NotPlain
        root = self.schema.subscription_type
        if root is None:
            raise NotPlain
        coerced = get_variable_values(self.schema, operation.variable_definitions or (), inputs)
        if not isinstance(coerced, VariableValues):
            raise NotPlain  # Strawberry reports the variables' errors
        compiler = _Compiler(fragments(document), coerced)
        fields = compiler.collect(root, [operation.selection_set])
        if len(fields) != 1:
            raise NotPlain
        [(key, nodes)] = fields.items()
        name = nodes[0].name.value
        feed = FEEDS.get(name)
        if feed is None or len(nodes) != 1:
            raise NotPlain
        field = root.fields[name]
        raw = get_argument_values(field, nodes[0], coerced)
        names = self._argument_names.get(name, {})
        if any(arg not in names for arg in raw):
            raise NotPlain
        arguments = {names[arg]: value for arg, value in raw.items()}
        checked = _permitted(feed, declared_permissions(field))
        return DirectSubscription(checked, arguments, key, compiler.compile(field.type, nodes))


def _permitted(feed: FeedFactory, permissions: tuple[str, ...]) -> FeedFactory:
    """``feed`` opened only for a subscriber with the permissions the field declares, checked
    once per subscribe as Strawberry's PermissionExtension checks them."""
    if not permissions:
        return feed

    def opened(context: Context, **arguments: Any) -> Feed[Any] | LoadingFeed[Any]:
        principal = context.require_principal()
        for permission in permissions:
            principal.require(permission)
        return feed(context, **arguments)

    return opened


def _plan_key(
    query: str, variables: dict[str, Any] | None, operation_name: str | None
) -> tuple[str, str | None, bytes] | None:
    try:
        inputs = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # not JSON (an integer beyond 64 bits...): plan it afresh
        return None
    return (query, operation_name, inputs)


class _Compiler:
    def __init__(
        self, fragments: dict[str, FragmentDefinitionNode], variables: VariableValues
    ) -> None:
        self.fragments = fragments
        self.variables = variables

    def _included(self, node: FieldNode | InlineFragmentNode | FragmentSpreadNode) -> bool:
        for directive in node.directives or ():
            if directive.name.value not in _SKIP_INCLUDE:
                raise NotPlain  # @defer, @stream, anything custom
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)

    def collect(
        self, parent: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        return collect_fields(parent, selection_sets, self.fragments, self._included)

    def compile(self, type_: GraphQLOutputType, nodes: list[FieldNode]) -> Projection:
        if isinstance(type_, GraphQLNonNull):
            inner = self.compile(type_.of_type, nodes)

            def non_null(value: Any) -> Any:
                if value is None:
                    raise NullInNonNull(f"a non-null {type_} was null")
                return inner(value)

            return non_null
        if isinstance(type_, GraphQLList):
            item = self.compile(type_.of_type, nodes)
            return lambda value: None if value is None else [item(v) for v in value]
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            serialize = type_.serialize
            return lambda value: None if value is None else serialize(value)
        if isinstance(type_, GraphQLObjectType):
            return self._object(type_, nodes)
        raise NotPlain  # interfaces and unions need graphql-core's type resolution

    def _object(self, type_: GraphQLObjectType, nodes: list[FieldNode]) -> Projection:
        selection_sets = [n.selection_set for n in nodes if n.selection_set is not None]
        readers: list[tuple[str, Callable[[Any], Any]]] = []
        for key, field_nodes in self.collect(type_, selection_sets).items():
            name = field_nodes[0].name.value
            if any(n.name.value != name for n in field_nodes):
                raise NotPlain  # validation forbids it; be safe anyway
            if name == "__typename":
                readers.append((key, _constant(type_.name)))
                continue
            field = type_.fields[name]
            definition = plain_field(field)
            readers.append(
                (key, _attribute(definition.python_name, self.compile(field.type, field_nodes)))
            )

        def project(value: Any) -> Any:
            if value is None:
                return None
            return {key: read(value) for key, read in readers}

        return project


def _constant(value: str) -> Callable[[Any], Any]:
    return lambda _source: value


def _attribute(name: str, project: Projection) -> Callable[[Any], Any]:
    return lambda source: project(getattr(source, name))


def error_payload(
    error: Exception, process: Callable[[list[GraphQLError]], list[GraphQLError]]
) -> list[GraphQLFormattedError]:
    """``error`` as the ``errors`` of a result, coded and masked by the schema's policy."""
    graphql_error = (
        error if isinstance(error, GraphQLError) else GraphQLError(str(error), original_error=error)
    )
    with contextlib.suppress(Exception):
        return [e.formatted for e in process([graphql_error])]
    logger.exception("could not format a subscription error")
    return [{"message": "Unexpected error.", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]
