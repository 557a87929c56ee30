"""GraphQL documents planned into one SQL statement each: compiled reads.

A customer view selects some 300 fields over 16 relations. Run through graphql-core, every
field is a resolver call and every relation a loader batch, and that Python dominates the
request. On PostgreSQL, a query document whose every field is known in ``compiled_graph.py``
is planned once into a statement of nested ``json_build_object`` / ``json_agg`` subqueries
that returns the response body itself; per request it costs the authentication, one
statement and the bytes.

Both paths must answer alike, so the plan reuses the same rules: the root field's row comes
from the same customer query, lists from the loaders' orders and the services' visibility
rules, masks from ``auth/masking.py``, scalars as Strawberry serializes them; a test runs
documents through both and compares the bytes' meaning. Anything not known there (resolver
fields, interfaces, directives, mutations) and any request that would answer with an error
(no token, a missing permission, bad variables, ``first`` out of range) goes to Strawberry.
The statement embeds the caller's scope, so it is cached per scope, like ``per_principal``.
"""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asyncpg import PostgresError
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValueNode,
    VariableNode,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    Text,
    cast,
    inspect,
    literal_column,
    select,
)

from gql_crm.auth.principal import Principal
from gql_crm.db.engine import Reads, fetch_text
from gql_crm.db.models.position import DataScope
from gql_crm.direct.compiled_graph import ROOTS, TABLES, Inline, Many, One, Root, Table, Value
from gql_crm.direct.compiled_sql import (
    Fallback,
    Inputs,
    Parameters,
    json_list,
    json_object,
    json_value,
    to_sql,
)
from gql_crm.direct.selections import (
    Documents,
    NotPlain,
    Selection,
    collect_fields,
    fragments,
    plain_field,
)
from gql_crm.direct.selections import operation as document_operation
from gql_crm.schema.common import declared_permissions
from gql_crm.schema.customer import MAX_NESTED_PAGE

logger = logging.getLogger("gql_crm.compiled")

Render = Callable[[Principal], ColumnElement[Any]]


# Stand-ins for the caller's id and visible owners while a statement is rendered; in the
# text they become parameters, so every caller with the same rights shares one statement
# (and PostgreSQL one prepared plan). Ids are never negative.
_CALLER, _OWNERS = -2147480001, -2147480002
_OWNERS_SQL = f"IN ({_OWNERS})"


@dataclass(frozen=True, slots=True)
class Statement:
    """A plan's SQL for callers of one kind of scope, and what of the caller it needs."""

    sql: str
    # The $n numbers where the caller's visible owners (an array) and id go, if used.
    owners: int | None
    caller: int | None

    def values(self, request: tuple[Any, ...], principal: Principal) -> tuple[Any, ...]:
        extra: list[Any] = []
        if self.owners is not None:
            extra.append(sorted(principal.visible_owner_ids or ()))
        if self.caller is not None:
            extra.append(principal.user_id)
        return (*request, *extra)


class Statements:
    """Rendered statements by plan and kind of caller, least recently used dropped first.

    The kind is what a rule reads besides the caller's id and visible owners: the
    permissions and the data scope. The cache is bounded by the text it holds (a statement
    is some 20-60 KB of SQL).
    """

    def __init__(self, max_chars: int = 32 * 1024 * 1024) -> None:
        self._max_chars = max_chars
        self._chars = 0
        self._cache: OrderedDict[tuple[Plan, frozenset[str], DataScope], Statement]
        self._cache = OrderedDict()

    def get(self, plan: Plan, principal: Principal) -> Statement:
        key = (plan, principal.permissions, principal.data_scope)
        statement = self._cache.get(key)
        if statement is not None:
            self._cache.move_to_end(key)
            return statement
        statement = self._cache[key] = _render(plan, principal)
        self._chars += len(statement.sql)
        while self._chars > self._max_chars and len(self._cache) > 1:
            self._chars -= len(self._cache.popitem(last=False)[1].sql)
        return statement


def _render(plan: Plan, principal: Principal) -> Statement:
    stand_in = Principal(
        user_id=_CALLER,
        login_name="",
        department_id=None,
        permissions=principal.permissions,
        data_scope=principal.data_scope,
        # None exactly for the scope ALL, which is part of the key
        visible_owner_ids=None if principal.visible_owner_ids is None else frozenset({_OWNERS}),
    )
    sql = to_sql(plan.render(stand_in))
    number = len(plan.parameters.readers)
    owners = caller = None
    if _OWNERS_SQL in sql:
        number = owners = number + 1
        sql = sql.replace(_OWNERS_SQL, f"= ANY(CAST(${owners} AS INTEGER[]))")
    if str(_CALLER) in sql:
        caller = number + 1
        sql = sql.replace(str(_CALLER), f"CAST(${caller} AS INTEGER)")
    if str(_OWNERS) in sql:
        raise RuntimeError(f"the visible owners stand in the SQL other than as IN ({_OWNERS})")
    return Statement(sql, owners, caller)


class Plan:
    """One operation of a document as SQL, rendered per caller scope (``Statements``)."""

    def __init__(
        self,
        render: Callable[[Principal], Select[Any]],
        parameters: Parameters,
        permissions: frozenset[str],
    ) -> None:
        self.render = render
        self.parameters = parameters
        self.permissions = permissions

    def permitted(self, principal: Principal) -> bool:
        """Without a permission the document needs, Strawberry reports the FORBIDDEN error."""
        return self.permissions <= principal.permissions


class Planner:
    """Decides, per query, whether one SQL statement can answer it, and plans it once."""

    def __init__(self, documents: Documents, *, cache_size: int = 1024) -> None:
        self.schema = documents.schema
        self._documents = documents
        self.plan: Callable[[str, str | None], tuple[Plan, OperationDefinitionNode] | None]
        self.plan = functools.lru_cache(cache_size)(self._plan)
        self.statements = Statements()

    def prepare(self, body: object) -> Prepared | None:
        """A request body (decoded JSON) ready to be answered by SQL, or None."""
        if not isinstance(body, dict):
            return None  # a batch, or nonsense: Strawberry answers
        query, variables, name = body.get("query"), body.get("variables"), body.get("operationName")
        if not (
            isinstance(query, str)
            and (variables is None or isinstance(variables, dict))
            and (name is None or isinstance(name, str))
        ):
            return None
        planned = self.plan(query, name)
        if planned is None:
            return None
        plan, operation = planned
        return Prepared(self, plan, operation, variables or {})

    def _plan(
        self, query: str, operation_name: str | None
    ) -> tuple[Plan, OperationDefinitionNode] | None:
        """The plan of a query (with its operation), or None to leave it to Strawberry."""
        document = self._documents.get(query)
        root = self.schema.query_type
        if document is None or root is None:
            return None
        try:
            operation = document_operation(document, operation_name)
            if operation.operation is not OperationType.QUERY:
                return None
            walker = _Walker(document)
            render = walker.root(root, operation.selection_set)
        except NotPlain:
            return None
        return Plan(render, walker.parameters, frozenset(walker.permissions)), operation


@dataclass(frozen=True, slots=True)
class Prepared:
    """One request's operation with its plan, before the caller is known."""

    planner: Planner
    plan: Plan
    operation: OperationDefinitionNode
    variables: dict[str, Any]

    async def answer(self, principal: Principal | None, now: datetime, reads: Reads) -> str:
        """The response body; Fallback when Strawberry must answer instead (an error)."""
        if principal is None or not self.plan.permitted(principal):
            raise Fallback  # UNAUTHENTICATED / FORBIDDEN, worded by the resolvers
        coerced = get_variable_values(
            self.planner.schema, self.operation.variable_definitions or (), self.variables
        )
        if not isinstance(coerced, VariableValues):
            raise Fallback  # Strawberry reports the variables' errors
        values = self.plan.parameters.values(Inputs(coerced, now))
        async with reads.reader() as session:
            try:
                statement = self.planner.statements.get(self.plan, principal)
                sql_values = statement.values(values, principal)
                body = await fetch_text(session, statement.sql, sql_values)
            except Exception as error:  # whatever it is, Strawberry answers it as it would
                logger.exception("compiled read failed, answering through Strawberry")
                if not isinstance(error, PostgresError):
                    # Not an error the server reported: the connection itself may be broken.
                    await session.invalidate()
                raise Fallback from error
        return body


class _Walker:
    """Walks an operation once: checks every field can be said in SQL, numbers the
    parameters, collects the permissions the fields declare (``requires``), and leaves a
    renderer per caller scope."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = fragments(document)
        self.parameters = Parameters()
        self.permissions: set[str] = set()

    def collect(
        self, parent: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        return collect_fields(parent, selection_sets, self.fragments, _without_directives)

    def root(
        self, type_: GraphQLObjectType, selection_set: SelectionSetNode
    ) -> Callable[[Principal], Select[Any]]:
        pairs: list[tuple[str, Render]] = []
        for key, nodes in self.collect(type_, [selection_set]).items():
            name = nodes[0].name.value
            if name == "__typename":
                pairs.append((key, _constant(type_.name)))
                continue
            spec = ROOTS.get(name)
            if spec is None:
                raise NotPlain
            field = type_.fields[name]
            self.permissions.update(declared_permissions(field))
            id_ = self._argument(field, nodes[0], "id", "integer")
            target = _object_type(field.type)
            render_object = self.object(target, nodes, TABLES[target.name], frozenset({spec.model}))

            pairs.append((key, _root(spec, id_, render_object)))

        def render(principal: Principal) -> Select[Any]:
            data = json_object([(key, value(principal)) for key, value in pairs])
            # As text: the driver would decode json into a dict only for us to encode it again.
            return select(cast(json_object([("data", data)]), Text))

        return render

    def _argument(
        self,
        field: GraphQLField,
        node: FieldNode,
        name: str,
        sql_type: str,
        check: Callable[[Any], bool] = lambda _value: True,
    ) -> ColumnElement[Any]:
        argument = next((a for a in node.arguments or () if a.name.value == name), None)
        constant = argument is None or not _has_variables(argument.value)
        known: list[Any] = []  # a literal's (or the default's) value, once read

        def read(inputs: Inputs) -> Any:
            if known:
                value = known[0]
            else:
                try:
                    value = get_argument_values(field, node, inputs.variables).get(name)
                except GraphQLError as error:
                    raise Fallback from error  # e.g. null for a non-null argument
                if constant:
                    known.append(value)
            if not check(value):
                raise Fallback  # Strawberry raises the BadRequest with its message
            return value

        return self.parameters.add(read, sql_type)

    def object(
        self,
        type_: GraphQLObjectType,
        nodes: list[FieldNode],
        table: Table,
        path: frozenset[type[Any]],
    ) -> Render:
        """``json_build_object`` of the selected fields of one row."""
        selection_sets = [n.selection_set for n in nodes if n.selection_set is not None]
        pairs: list[tuple[str, Render]] = []
        for key, field_nodes in self.collect(type_, selection_sets).items():
            name = field_nodes[0].name.value
            if name == "__typename":
                pairs.append((key, _constant(type_.name)))
                continue
            pairs.append((key, self.field(type_.fields[name], name, field_nodes, table, path)))

        def render(principal: Principal) -> ColumnElement[Any]:
            return json_object([(key, value(principal)) for key, value in pairs])

        return render

    def field(
        self,
        field: GraphQLField,
        name: str,
        nodes: list[FieldNode],
        table: Table,
        path: frozenset[type[Any]],
    ) -> Render:
        self.permissions.update(declared_permissions(field))
        spec = table.fields.get(name)
        if spec is None:
            column = _plain_column(table.model, field)
            return lambda _p: json_value(field.type, column)
        if isinstance(spec, Value):
            return lambda p: json_value(field.type, spec.build(p))
        if isinstance(spec, Inline):
            if field.args:
                raise NotPlain
            return self._inline(_object_type(field.type), nodes, spec)
        target = _object_type(field.type)
        target_table = TABLES.get(target.name)
        if target_table is None or target_table.model is not spec.model or spec.model in path:
            raise NotPlain  # a table inside itself would correlate to the wrong row
        inner = self.object(target, nodes, target_table, path | {spec.model})
        if isinstance(spec, One):
            if field.args:
                raise NotPlain
            return _one(spec, inner)
        return self._many(field, nodes, spec, inner)

    def _inline(self, type_: GraphQLObjectType, nodes: list[FieldNode], spec: Inline) -> Render:
        """An object of values over the one row ``spec.source`` computes for the parent row,
        computed once however many of its fields are selected."""
        selection_sets = [n.selection_set for n in nodes if n.selection_set is not None]
        pairs: list[tuple[str, Callable[[Any], ColumnElement[Any]]]] = []
        for key, field_nodes in self.collect(type_, selection_sets).items():
            name = field_nodes[0].name.value
            if name == "__typename":
                pairs.append((key, _constant(type_.name)))
                continue
            build = spec.fields.get(name)
            if build is None:
                raise NotPlain
            self.permissions.update(declared_permissions(type_.fields[name]))
            pairs.append((key, _serialized(type_.fields[name].type, build)))

        def render(principal: Principal) -> ColumnElement[Any]:
            row = spec.source(principal).lateral()
            values = json_object([(key, value(row.c)) for key, value in pairs])
            return select(values).select_from(row).scalar_subquery()

        return render

    def _many(
        self, field: GraphQLField, nodes: list[FieldNode], spec: Many, inner: Render
    ) -> Render:
        list_type = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        if not isinstance(list_type, GraphQLList):
            raise NotPlain
        if set(field.args) != ({"first"} if spec.limited else set()) or len(nodes) != 1:
            raise NotPlain
        limit = None
        if spec.limited:
            limit = self._argument(
                field, nodes[0], "first", "integer", lambda v: 0 <= v <= MAX_NESTED_PAGE
            )
        order_by = spec.order_by(self.parameters)

        def render(principal: Principal) -> ColumnElement[Any]:
            source: FromClause = spec.source() if spec.source else spec.model.__table__
            where = [spec.on(), *spec.where(principal)]
            return json_list(
                inner(principal), source, where, order_by, spec.parent.__table__, limit
            )

        return render


def _root(spec: Root, id_: ColumnElement[Any], inner: Render) -> Render:
    def render(principal: Principal) -> ColumnElement[Any]:
        return spec.rows(principal, id_).with_only_columns(inner(principal)).scalar_subquery()

    return render


def _has_variables(value: ValueNode) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_has_variables(v) for v in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_has_variables(f.value) for f in value.fields)
    return False


def _serialized(
    type_: GraphQLOutputType, build: Callable[[Any], ColumnElement[Any]]
) -> Callable[[Any], ColumnElement[Any]]:
    return lambda row: json_value(type_, build(row))


def _one(spec: One, inner: Render) -> Render:
    def render(principal: Principal) -> ColumnElement[Any]:
        rows = select(inner(principal)).where(spec.on()).order_by(*spec.order_by).limit(1)
        return rows.scalar_subquery()

    return render


def _plain_column(model: type[Any], field: GraphQLField) -> ColumnElement[Any]:
    """The column behind a field that only reads an attribute."""
    name = plain_field(field).python_name
    columns = inspect(model).columns
    if name not in columns:
        raise NotPlain
    return columns[name]  # type: ignore[no-any-return]


def _without_directives(selection: Selection) -> bool:
    if selection.directives:
        raise NotPlain  # @skip/@include depend on variables: keep the plan independent of them
    return True


def _object_type(type_: GraphQLOutputType) -> GraphQLObjectType:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    if not isinstance(type_, GraphQLObjectType):
        raise NotPlain  # interfaces and unions need graphql-core's type resolution
    return type_


def _constant(value: str) -> Render:
    return lambda _principal: literal_column(f"'{value}'")  # a GraphQL type name
