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
import re
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
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
    exists,
    func,
    inspect,
    literal_column,
    not_,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from strawberry.utils.str_converters import to_snake_case

from gql_crm.auth.principal import Principal
from gql_crm.db.engine import Reads, fetch_checked, fetch_text
from gql_crm.db.models.position import DataScope
from gql_crm.db.models.setting import SystemSettings
from gql_crm.db.pagination import (
    INT64,
    InvalidCursor,
    SortKey,
    after_clause,
    decode_keys,
    int_bound,
    ordered,
)
from gql_crm.db.scopes import principal_guard
from gql_crm.direct.compiled_graph import (
    ROOTS,
    TABLES,
    Board,
    Inline,
    Itself,
    Listing,
    Many,
    One,
    Root,
    Rows,
    Table,
    Value,
    kit_listing,
)
from gql_crm.direct.compiled_sql import (
    MAX_KEYS,
    Fallback,
    Inputs,
    Parameters,
    cursor,
    json_list,
    json_object,
    json_rows,
    json_scalar,
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
from gql_crm.schema.common import HasPermission, SettingOn, declared_checks

logger = logging.getLogger("gql_crm.compiled")

Render = Callable[[Principal], ColumnElement[Any]]
# What of a request chooses a plan's statement text (``Plan.shape``).
Shape = tuple[Hashable, ...]
ShapedRender = Callable[[Principal, Shape], ColumnElement[Any]]


@dataclass(frozen=True, slots=True)
class PageSizes:
    """A connection's page size when ``first`` is not given, and its largest."""

    default: int = 20
    maximum: int = 100


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
    # Which of the plan's request parameters the text uses, in order (None: all of them);
    # a statement for a list without a filter has no place for the filter's value.
    used: tuple[int, ...] | None = None
    # The same answer behind a check of the caller's principal (``scopes.principal_guard``),
    # its values after the statement's own: (check, answer or NULL).
    guarded: str = ""

    def values(self, request: tuple[Any, ...], principal: Principal) -> tuple[Any, ...]:
        if self.used is not None:
            request = tuple(request[i] for i in self.used)
        extra: list[Any] = []
        if self.owners is not None:
            extra.append(sorted(principal.visible_owner_ids or ()))
        if self.caller is not None:
            extra.append(principal.user_id)
        return (*request, *extra)


class Statements:
    """Rendered statements by plan and kind of caller, least recently used dropped first.

    The kind is what a rule reads besides the caller's id and visible owners: the
    permissions, the data scope, and whether the caller sees only their own records; the
    shape is what of the request chooses the statement's text (a list's sort, which filters
    are given). The cache is bounded by the text it holds (a statement is some 20-60 KB).
    """

    def __init__(self, max_chars: int = 32 * 1024 * 1024) -> None:
        self._max_chars = max_chars
        self._chars = 0
        self._cache: OrderedDict[tuple[Plan, frozenset[str], DataScope, bool, Shape], Statement]
        self._cache = OrderedDict()

    def get(self, plan: Plan, principal: Principal, shape: Shape = ()) -> Statement:
        key = (plan, principal.permissions, principal.data_scope, _alone(principal), shape)
        statement = self._cache.get(key)
        if statement is not None:
            self._cache.move_to_end(key)
            return statement
        statement = self._cache[key] = _render(plan, principal, shape)
        self._chars += 2 * len(statement.sql)  # and its guarded text
        while self._chars > self._max_chars and len(self._cache) > 1:
            self._chars -= 2 * len(self._cache.popitem(last=False)[1].sql)
        return statement


def _render(plan: Plan, principal: Principal, shape: Shape) -> Statement:
    stand_in = Principal(
        user_id=_CALLER,
        login_name="",
        department_id=None,
        permissions=principal.permissions,
        data_scope=principal.data_scope,
        # None exactly for the scope ALL, which is part of the key
        visible_owner_ids=None if principal.visible_owner_ids is None else frozenset({_OWNERS}),
    )
    sql = to_sql(plan.render(stand_in, shape))
    if _alone(principal):
        # The caller's own records: a generic plan estimates "owner = $n" from the owners'
        # statistics, where "owner = ANY($n)" is a guess that chose whole-table scans.
        sql = sql.replace(_OWNERS_SQL, f"= {_CALLER}")
    # Only the parameters the text uses, numbered anew (the server must type each one).
    used = sorted({int(n) for n in _PARAMETER.findall(sql)})
    numbers = {old: new for new, old in enumerate(used, start=1)}
    sql = _PARAMETER.sub(lambda match: f"${numbers[int(match[1])]}", sql)
    number = len(used)
    owners = caller = None
    if _OWNERS_SQL in sql:
        number = owners = number + 1
        sql = sql.replace(_OWNERS_SQL, f"= ANY(CAST(${owners} AS INTEGER[]))")
    if str(_CALLER) in sql:
        caller = number + 1
        sql = sql.replace(str(_CALLER), f"CAST(${caller} AS INTEGER)")
    if str(_OWNERS) in sql:
        raise RuntimeError(f"the visible owners stand in the SQL other than as IN ({_OWNERS})")
    guard = principal_guard(len(used) + (owners is not None) + (caller is not None) + 1)
    # OFFSET 0 keeps PostgreSQL from pulling the guard up into both of its uses (checking
    # the principal twice).
    guarded = (
        f"SELECT g.ok, CASE WHEN g.ok THEN ({sql}) END FROM (SELECT {guard} AS ok OFFSET 0) AS g"
    )
    return Statement(sql, owners, caller, tuple(n - 1 for n in used), guarded)


_PARAMETER = re.compile(r"\$(\d+)\b")


def _alone(principal: Principal) -> bool:
    """Whether the caller's records are the only ones their scope lets them see."""
    return principal.visible_owner_ids == frozenset({principal.user_id})


class Plan:
    """One operation of a document as SQL, rendered per caller scope (``Statements``)."""

    def __init__(
        self,
        render: Callable[[Principal, Shape], Select[Any]],
        parameters: Parameters,
        permissions: frozenset[str],
        shapes: list[Callable[[Inputs], Hashable]],
    ) -> None:
        self.render = render
        self.parameters = parameters
        self.permissions = permissions
        self._shapes = shapes

    def shape(self, inputs: Inputs) -> Shape:
        """What of the request chooses the statement (Fallback if Strawberry must answer)."""
        return tuple(read(inputs) for read in self._shapes)

    def permitted(self, principal: Principal) -> bool:
        """Without a permission the document needs, Strawberry reports the FORBIDDEN error."""
        return self.permissions <= principal.permissions


class Planner:
    """Decides, per query, whether one SQL statement can answer it, and plans it once."""

    def __init__(
        self, documents: Documents, pages: PageSizes = PageSizes(), *, cache_size: int = 1024
    ) -> None:
        self.schema = documents.schema
        self.pages = pages
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
            walker = _Walker(document, self.pages)
            render = walker.root(root, operation)
        except NotPlain:
            return None
        plan = Plan(render, walker.parameters, frozenset(walker.permissions), walker.shapes)
        return plan, operation


# The values of ``scopes.principal_guard``: the token's user and version, the fingerprint.
Guard = tuple[Any, ...]


class StalePrincipal(Exception):
    """The principal a guarded statement was sent for no longer stands: read it again."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """One request's operation with its plan, before the caller is known."""

    planner: Planner
    plan: Plan
    operation: OperationDefinitionNode
    variables: dict[str, Any]

    async def answer(
        self, principal: Principal | None, now: datetime, reads: Reads, guard: Guard | None = None
    ) -> str:
        """The response body; Fallback when Strawberry must answer instead (an error). With
        a ``guard`` (the values of ``scopes.principal_guard``) the statement answers only if
        the principal still stands, else StalePrincipal."""
        if principal is None or not self.plan.permitted(principal):
            raise Fallback  # UNAUTHENTICATED / FORBIDDEN, worded by the resolvers
        coerced = get_variable_values(
            self.planner.schema, self.operation.variable_definitions or (), self.variables
        )
        if not isinstance(coerced, VariableValues):
            raise Fallback  # Strawberry reports the variables' errors
        inputs = Inputs(coerced, now)
        shape = self.plan.shape(inputs)
        values = self.plan.parameters.values(inputs)
        async with reads.driver() as driver:
            try:
                statement = self.planner.statements.get(self.plan, principal, shape)
                sql_values = statement.values(values, principal)
                body: str | None
                if guard is None:
                    body = await fetch_text(driver, statement.sql, sql_values)
                else:
                    stands, body = await fetch_checked(
                        driver, statement.guarded, (*sql_values, *guard)
                    )
                    if not stands:
                        raise StalePrincipal
            except StalePrincipal:
                raise
            except Exception as error:  # whatever it is, Strawberry answers it as it would
                logger.exception("compiled read failed, answering through Strawberry")
                if not isinstance(error, PostgresError):
                    # Not an error the server reported: the connection itself may be broken.
                    await driver.invalidate()
                raise Fallback from error
        if body is None:
            raise Fallback  # a module turned off (the plan's settings): MODULE_DISABLED
        return body


class _Walker:
    """Walks an operation once: checks every field can be said in SQL, numbers the
    parameters, collects the permissions the fields declare (``requires``), and leaves a
    renderer per caller scope."""

    def __init__(self, document: DocumentNode, pages: PageSizes) -> None:
        self.fragments = fragments(document)
        self.parameters = Parameters()
        self.permissions: set[str] = set()
        self.settings: set[str] = set()  # system settings the fields need on (``while_on``)
        self.shapes: list[Callable[[Inputs], Hashable]] = []
        self.pages = pages
        self._cursors = False

    def selected(
        self, type_: GraphQLObjectType, within: Sequence[FieldNode | OperationDefinitionNode]
    ) -> Iterator[tuple[str, str, GraphQLField | None, list[FieldNode]]]:
        """The fields selected on ``type_`` under ``within``, by response key: name,
        definition (None for ``__typename``) and nodes. The permissions and settings they
        declare are collected on the way; an introspection field is not plain."""
        selection_sets = [n.selection_set for n in within if n.selection_set is not None]
        collected = collect_fields(type_, selection_sets, self.fragments, _without_directives)
        for key, nodes in collected.items():
            name = nodes[0].name.value
            if name == "__typename":
                yield key, name, None, nodes
                continue
            field = type_.fields.get(name)
            if field is None:
                raise NotPlain
            for check in declared_checks(field):
                if isinstance(check, HasPermission):
                    self.permissions.add(check.code)
                elif isinstance(check, SettingOn):
                    self.settings.add(check.setting)
                else:
                    raise NotPlain  # a check only Strawberry knows how to make
            yield key, name, field, nodes

    def root(
        self, type_: GraphQLObjectType, operation: OperationDefinitionNode
    ) -> Callable[[Principal, Shape], Select[Any]]:
        pairs: list[tuple[str, ShapedRender]] = []
        for key, name, field, nodes in self.selected(type_, [operation]):
            if field is None:
                pairs.append((key, _unshaped(_constant(type_.name))))
                continue
            spec = ROOTS.get(name) or kit_listing(field)
            if spec is None:
                raise NotPlain
            if isinstance(spec, Listing):
                pairs.append((key, self.listing(field, nodes, spec, len(pairs))))
                continue
            if isinstance(spec, Board):
                pairs.append((key, _unshaped(self.board(field, nodes, spec))))
                continue
            id_ = self._argument(field, nodes[0], "id", "integer")
            target = _object_type(field.type)
            render_object = self.object(target, nodes, TABLES[target.name], frozenset({spec.model}))
            pairs.append((key, _unshaped(_root(spec, id_, render_object))))

        settings = self.settings

        def render(principal: Principal, shape: Shape) -> Select[Any]:
            data = json_object([(key, value(principal, shape)) for key, value in pairs])
            # As text: the driver would decode json into a dict only for us to encode it again.
            answer = select(cast(json_object([("data", data)]), Text))
            # No row while a module the fields belong to is off: Strawberry says so.
            on = [getattr(SystemSettings, setting).is_(True) for setting in sorted(settings)]
            return answer.where(exists().where(*on)) if on else answer

        return render

    def board(self, field: GraphQLField, nodes: list[FieldNode], spec: Board) -> Render:
        """An object of lists and values over the request's terms: its time and ``first``."""
        if len(nodes) != 1 or not set(field.args) <= {"first"}:
            raise NotPlain
        maximum = self.pages.maximum
        limit = self._argument(field, nodes[0], "first", "integer", lambda v: 0 <= v <= maximum)
        terms = spec.terms(self.parameters.add(lambda inputs: inputs.now, "timestamptz"), limit)
        type_ = _object_type(field.type)
        pairs: list[tuple[str, Render]] = []
        for key, name, part_field, field_nodes in self.selected(type_, nodes):
            if part_field is None:
                pairs.append((key, _constant(type_.name)))
                continue
            part = spec.fields.get(name)
            if part is None or part_field.args:
                raise NotPlain
            if isinstance(part, Rows):
                pairs.append((key, self._rows(part_field, field_nodes, part, terms)))
            else:
                pairs.append((key, _term(part_field.type, part, terms)))

        def render(principal: Principal) -> ColumnElement[Any]:
            return json_object([(key, value(principal)) for key, value in pairs])

        return render

    def _rows(self, field: GraphQLField, nodes: list[FieldNode], spec: Rows, terms: Any) -> Render:
        item_type = _object_type(field.type)
        table = spec.item(terms) if spec.item else TABLES.get(item_type.name)
        if table is None:
            raise NotPlain
        inner = self.object(item_type, nodes, table, frozenset({table.model}))

        def render(principal: Principal) -> ColumnElement[Any]:
            return json_rows(inner(principal), spec.statement(principal, terms))

        return render

    def listing(
        self, field: GraphQLField, nodes: list[FieldNode], spec: Listing, position: int
    ) -> ShapedRender:
        """A root connection: one page of rows as the resolver pages them (the same rows,
        order and cursors), its page info and, when asked, the count of the whole list.

        The sort, whether a cursor is given and which filters are, choose the statement
        (``shape``); page size, ids and the cursor's keys are parameters."""
        known = {"filter", "sort", "first", "after", *spec.arguments}
        if len(nodes) != 1 or not set(field.args) <= known:
            raise NotPlain
        node, pages = nodes[0], self.pages
        connection_type = _object_type(field.type)

        def arguments(inputs: Inputs) -> dict[str, Any]:
            memo = ("arguments", position)
            if memo not in inputs.read:
                try:
                    inputs.read[memo] = get_argument_values(field, node, inputs.variables)
                except GraphQLError as error:
                    raise Fallback from error
            return inputs.read[memo]  # type: ignore[no-any-return]

        def filters(inputs: Inputs) -> dict[str, Any]:
            memo = ("filters", position)
            if memo not in inputs.read:
                given = dict(arguments(inputs).get("filter") or {})
                given.update((name, arguments(inputs).get(name)) for name in spec.arguments)
                inputs.read[memo] = {_snake(name): value for name, value in given.items()}
            return inputs.read[memo]  # type: ignore[no-any-return]

        def keys(inputs: Inputs) -> Sequence[SortKey]:
            return spec.keys(arguments(inputs).get("sort"))

        # A list's own text argument is the service's to read, blank or not; a filter's blank
        # text (a search) means no filter, as the services read it.
        own = {_snake(name) for name in spec.arguments}

        def shape(inputs: Inputs) -> Hashable:
            values = filters(inputs)
            if any(
                values.get(name) is not None if name in own else _non_blank(values.get(name))
                for name in spec.unplanned
            ):
                raise Fallback  # e.g. a text search: Strawberry answers
            chosen = tuple(
                (name, value)
                for name, value in values.items()
                if name not in spec.parameters and name not in spec.unplanned
            )
            ids = frozenset(name for name in spec.parameters if values.get(name) is not None)
            sort = tuple((arguments(inputs).get("sort") or {}).items())
            return chosen, ids, sort, arguments(inputs).get("after") is not None

        def first(inputs: Inputs) -> int:
            value = arguments(inputs).get("first")
            if value is None:
                return pages.default
            if not 0 <= value <= pages.maximum:
                raise Fallback  # Strawberry raises the BadRequest with its message
            return value  # type: ignore[no-any-return]

        def after(inputs: Inputs) -> list[Any] | None:
            memo = ("after", position)
            if memo not in inputs.read:
                given = arguments(inputs).get("after")
                if given is None:
                    inputs.read[memo] = None
                else:
                    try:
                        inputs.read[memo] = decode_keys(given, keys(inputs))
                    except InvalidCursor as error:
                        raise Fallback from error  # Strawberry names the bad cursor
            return inputs.read[memo]  # type: ignore[no-any-return]

        def after_value(i: int, sql_type: str) -> Callable[[Inputs], Any]:
            def read(inputs: Inputs) -> Any:
                values = after(inputs)
                if values is None or _key_type(keys(inputs)[i].column) != sql_type:
                    return None  # not in this statement's text
                return values[i]

            return read

        self.shapes.append(shape)
        index = len(self.shapes) - 1
        size = self.parameters.add(first, "integer")

        def filter_value(name: str) -> Callable[[Inputs], Any]:
            return lambda inputs: filters(inputs).get(name)

        ids = {
            name: self.parameters.add(filter_value(name), sql_type)
            for name, sql_type in sorted(spec.parameters.items())
        }
        positions = {
            (i, sql_type): self.parameters.add(after_value(i, sql_type), sql_type)
            for i in range(len(spec.keys(None)))
            for sql_type in _KEY_TYPES
        }
        self._cursors = False  # whether the selection shows any cursor
        parts = self._connection(connection_type, nodes, spec)
        cursors = self._cursors

        def render(principal: Principal, shape_: Shape) -> ColumnElement[Any]:
            chosen: tuple[tuple[str, Any], ...]
            given: frozenset[str]
            sort: tuple[tuple[str, Any], ...]
            has_after: bool
            chosen, given, sort, has_after = shape_[index]  # type: ignore[misc]
            rows = spec.rows(principal, {**dict(chosen), **{n: ids[n] for n in given}})
            order_keys = spec.keys(dict(sort) or None)
            page = rows
            if has_after:
                values = [positions[i, _key_type(k.column)] for i, k in enumerate(order_keys)]
                page = page.where(after_clause(order_keys, values))
            order = ordered(order_keys)
            columns = [
                spec.model.id.label("id"),
                func.row_number().over(order_by=order).label("n"),
            ]
            if cursors:
                columns.append(cursor([k.column for k in order_keys]).label("cursor"))  # type: ignore[misc]
            limited = (
                page.with_only_columns(*columns)
                .order_by(*order)
                .limit(size.op("+")(1))
                .cte(f"page_{index}")
            )
            page_rows = Page(limited, size, has_after)
            return json_object([(key, value(principal, rows, page_rows)) for key, value in parts])

        return render

    def _connection(
        self, type_: GraphQLObjectType, nodes: list[FieldNode], spec: Listing
    ) -> list[tuple[str, PageRender]]:
        """The selected fields of a connection, each rendered over its page."""
        parts: list[tuple[str, PageRender]] = []
        for key, name, field, field_nodes in self.selected(type_, nodes):
            if field is None:
                parts.append((key, _on_page(_constant(type_.name))))
            elif name == "totalCount":
                parts.append((key, _total_count))
            elif name == "edges":
                parts.append((key, self._edges(_object_type(field.type), field_nodes, spec)))
            elif name == "nodes":
                parts.append((key, self._nodes(_object_type(field.type), field_nodes, spec)))
            elif name == "pageInfo":
                parts.append((key, self._page_info(_object_type(field.type), field_nodes)))
            else:
                raise NotPlain
        return parts

    def _edges(self, type_: GraphQLObjectType, nodes: list[FieldNode], spec: Listing) -> PageRender:
        pairs: list[tuple[str, Callable[[Principal, Page], ColumnElement[Any]]]] = []
        for key, name, field, field_nodes in self.selected(type_, nodes):
            if field is None:
                pairs.append((key, _on_edge(_constant(type_.name))))
            elif name == "cursor":
                self._cursors = True
                pairs.append((key, lambda _p, page: page.rows.c.cursor))
            elif name == "node":
                item = self._listed(_object_type(field.type), field_nodes, spec)
                pairs.append((key, _on_edge(item)))
            else:
                raise NotPlain

        def edge(principal: Principal, page: Page) -> ColumnElement[Any]:
            return json_object([(key, value(principal, page)) for key, value in pairs])

        return _page_items(edge, spec)

    def _nodes(self, type_: GraphQLObjectType, nodes: list[FieldNode], spec: Listing) -> PageRender:
        """The page's records without cursors."""
        return _page_items(_on_edge(self._listed(type_, nodes, spec)), spec)

    def _listed(self, type_: GraphQLObjectType, nodes: list[FieldNode], spec: Listing) -> Render:
        table = TABLES.get(type_.name)
        if table is None or table.model is not spec.model:
            raise NotPlain
        return self.object(type_, nodes, table, frozenset({spec.model}))

    def _page_info(self, type_: GraphQLObjectType, nodes: list[FieldNode]) -> PageRender:
        pairs: list[tuple[str, Callable[[Page], ColumnElement[Any]]]] = []
        for key, name, field, _nodes in self.selected(type_, nodes):
            if field is None:
                pairs.append((key, _page_constant(type_.name)))
                continue
            part = _PAGE_INFO.get(name)
            if part is None:
                raise NotPlain
            self._cursors |= name.endswith("Cursor")
            pairs.append((key, part))

        def render(_principal: Principal, _rows: Select[Any], page: Page) -> ColumnElement[Any]:
            return json_object([(key, value(page)) for key, value in pairs])

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
        pairs: list[tuple[str, Render]] = []
        for key, name, field, field_nodes in self.selected(type_, nodes):
            if field is None:
                pairs.append((key, _constant(type_.name)))
            else:
                pairs.append((key, self.field(field, name, field_nodes, table, path)))
        if len(pairs) > MAX_KEYS:
            raise NotPlain  # decided while planning, not each time the statement is written

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
        spec = table.fields.get(name)
        if spec is None:
            column = _plain_column(table.model, field)
            write = json_scalar(field.type)
            return lambda _p: write(column)
        if isinstance(spec, Value):
            write = json_scalar(field.type)
            return lambda p: write(spec.build(p))
        if isinstance(spec, Inline):
            if field.args:
                raise NotPlain
            return self._inline(_object_type(field.type), nodes, spec)
        if isinstance(spec, Many) and spec.paged:
            return self._sub_page(field, nodes, spec, path)
        target = _object_type(field.type)
        if isinstance(spec, Itself):
            same = TABLES.get(target.name)
            if same is None or same.model is not table.model or field.args:
                raise NotPlain
            return self.object(target, nodes, same, path)
        inner = self._item(target, nodes, spec, path)
        if isinstance(spec, One):
            if field.args:
                raise NotPlain
            return _one(spec, inner)
        return self._many(field, nodes, spec, inner)

    def _inline(self, type_: GraphQLObjectType, nodes: list[FieldNode], spec: Inline) -> Render:
        """An object of values over the one row ``spec.source`` computes for the parent row,
        computed once however many of its fields are selected."""
        pairs: list[tuple[str, Callable[[Any], ColumnElement[Any]]]] = []
        for key, name, field, _nodes in self.selected(type_, nodes):
            if field is None:
                pairs.append((key, _constant(type_.name)))
                continue
            build = spec.fields.get(name)
            if build is None:
                raise NotPlain
            pairs.append((key, _serialized(field.type, build)))

        def render(principal: Principal) -> ColumnElement[Any]:
            row = spec.source(principal).lateral()
            values = json_object([(key, value(row.c)) for key, value in pairs])
            return select(values).select_from(row).scalar_subquery()

        return render

    def _item(
        self,
        target: GraphQLObjectType,
        nodes: list[FieldNode],
        spec: One | Many,
        path: frozenset[type[Any]],
    ) -> Render:
        """The selected fields of one related row of ``spec``."""
        table = TABLES.get(target.name)
        if table is None or table.model is not spec.model or spec.model in path:
            raise NotPlain  # a table inside itself would correlate to the wrong row
        return self.object(target, nodes, table, path | {spec.model})

    def _many(
        self, field: GraphQLField, nodes: list[FieldNode], spec: Many, inner: Render
    ) -> Render:
        list_type = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        if not isinstance(list_type, GraphQLList) or field.args or len(nodes) != 1:
            raise NotPlain
        order_by = ordered(spec.keys(self.parameters))

        def render(principal: Principal) -> ColumnElement[Any]:
            source: FromClause = spec.source() if spec.source else spec.model.__table__
            where = [spec.on(), *spec.where(principal)]
            return json_list(inner(principal), source, where, order_by, spec.parent.__table__, None)

        return render

    def _sub_page(
        self, field: GraphQLField, nodes: list[FieldNode], spec: Many, path: frozenset[type[Any]]
    ) -> Render:
        """A connection under a row (a customer's follow-ups...): the page of rows after the
        cursor as the loader pages them (rows, order, cursors), its page info and, when
        asked, the count of the parent's whole list; one lateral subquery per connection."""
        if set(field.args) != {"first", "after"} or len(nodes) != 1:
            raise NotPlain
        node, maximum = nodes[0], self.pages.maximum
        size = self._argument(field, node, "first", "integer", lambda v: 0 <= v <= maximum)
        keys = spec.keys(self.parameters)
        given, values = self._cursor(field, node, keys)
        connection = _object_type(field.type)
        page = _SubPage()
        parts: list[tuple[str, Callable[[Principal, Any], ColumnElement[Any]]]] = []
        for key, name, part, field_nodes in self.selected(connection, nodes):
            if part is None:
                typename = _on_rows(connection.name)
                parts.append((key, lambda _principal, rows, t=typename: t(rows)))  # type: ignore[misc]
                continue
            if name == "totalCount":
                parts.append((key, lambda principal, _rows: _count_under(spec, principal)))
                continue
            target = _object_type(part.type)
            if name == "nodes":
                item = page.item(self._item(target, field_nodes, spec, path))
                parts.append((key, _sub_page_items(item, size)))
            elif name == "edges":
                edges = self._sub_edges(target, field_nodes, spec, path, page, size)
                parts.append((key, edges))
            elif name == "pageInfo":
                parts.append((key, self._sub_page_info(target, field_nodes, page, size, given)))
            else:
                raise NotPlain

        def render(principal: Principal) -> ColumnElement[Any]:
            source: FromClause = spec.source() if spec.source else spec.model.__table__
            where = [
                spec.on(),
                *spec.where(principal),
                or_(not_(given), after_clause(keys, values)),
            ]
            order = ordered(keys)
            columns: list[ColumnElement[Any]] = [func.row_number().over(order_by=order).label("n")]
            if page.cursors:
                columns.append(cursor([k.column for k in keys]).label("c"))  # type: ignore[misc]
            columns += [item(principal).label(label) for label, item in page.items.items()]
            rows = (
                select(*columns)
                .select_from(source)
                .where(*where)
                .order_by(*order)
                .limit(size.op("+")(1))
                .correlate(spec.parent.__table__)
                .lateral()
            )
            answer = json_object([(key, value(principal, rows)) for key, value in parts])
            # One answer however many rows (none included): an aggregate query even when no
            # part aggregates the rows (a selection of only totalCount or hasPreviousPage).
            return select(answer).select_from(rows).having(true()).scalar_subquery()

        return render

    def _cursor(
        self, field: GraphQLField, node: FieldNode, keys: Sequence[SortKey]
    ) -> tuple[ColumnElement[Any], list[ColumnElement[Any]]]:
        """The ``after`` argument as parameters: whether one is given, and its keys' values
        (decoded as the loader decodes them; a bad cursor goes to Strawberry)."""
        memo = ("sub-list after", id(node))
        argument = next((a for a in node.arguments or () if a.name.value == "after"), None)
        constant = argument is None or not _has_variables(argument.value)
        known: list[list[Any] | None] = []  # without a variable: decoded once, when first read

        def decoded(inputs: Inputs) -> list[Any] | None:
            if known:
                return known[0]
            if memo not in inputs.read:
                try:
                    given = get_argument_values(field, node, inputs.variables).get("after")
                    inputs.read[memo] = None if given is None else decode_keys(given, keys)
                except (GraphQLError, InvalidCursor) as error:
                    raise Fallback from error
                if constant:
                    known.append(inputs.read[memo])
            return inputs.read[memo]  # type: ignore[no-any-return]

        def value(i: int) -> Callable[[Inputs], Any]:
            return lambda inputs: (decoded(inputs) or [None] * len(keys))[i]

        given = self.parameters.add(lambda inputs: decoded(inputs) is not None, "boolean")
        values = [
            self.parameters.add(value(i), _key_type(key.column)) for i, key in enumerate(keys)
        ]
        return given, values

    def _sub_edges(
        self,
        type_: GraphQLObjectType,
        nodes: list[FieldNode],
        spec: Many,
        path: frozenset[type[Any]],
        page: _SubPage,
        size: ColumnElement[Any],
    ) -> Callable[[Principal, Any], ColumnElement[Any]]:
        pairs: list[tuple[str, Callable[[Any], ColumnElement[Any]]]] = []
        for key, name, field, field_nodes in self.selected(type_, nodes):
            if field is None:
                pairs.append((key, _on_rows(type_.name)))
            elif name == "cursor":
                page.cursors = True
                pairs.append((key, lambda rows: rows.c.c))
            elif name == "node":
                item = page.item(self._item(_object_type(field.type), field_nodes, spec, path))
                pairs.append((key, lambda rows, i=item: rows.c[i]))  # type: ignore[misc]
            else:
                raise NotPlain

        def render(_principal: Principal, rows: Any) -> ColumnElement[Any]:
            edge = json_object([(key, value(rows)) for key, value in pairs])
            return _page_list(edge, rows, size)

        return render

    def _sub_page_info(
        self,
        type_: GraphQLObjectType,
        nodes: list[FieldNode],
        page: _SubPage,
        size: ColumnElement[Any],
        given: ColumnElement[Any],
    ) -> Callable[[Principal, Any], ColumnElement[Any]]:
        pairs: list[tuple[str, Callable[[Any], ColumnElement[Any]]]] = []
        for key, name, field, _nodes in self.selected(type_, nodes):
            if field is None:
                pairs.append((key, _on_rows(type_.name)))
            elif name == "hasNextPage":
                pairs.append((key, lambda _rows: func.count() > size))
            elif name == "hasPreviousPage":
                pairs.append((key, lambda _rows: given))
            elif name in ("startCursor", "endCursor"):
                page.cursors = True
                last = name == "endCursor"
                pairs.append((key, lambda rows, last=last: _page_cursor(rows, size, last)))  # type: ignore[misc]
            else:
                raise NotPlain

        def render(_principal: Principal, rows: Any) -> ColumnElement[Any]:
            return json_object([(key, value(rows)) for key, value in pairs])

        return render


class _SubPage:
    """What a connection under a row selects of its page's rows while it is walked: the
    rows' JSON objects (``j0``... as many as the selection asks for) and their cursors."""

    def __init__(self) -> None:
        self.items: dict[str, Render] = {}
        self.cursors = False

    def item(self, render: Render) -> str:
        label = f"j{len(self.items)}"
        self.items[label] = render
        return label


def _on_rows(type_name: str) -> Callable[[Any], ColumnElement[Any]]:
    return lambda _rows: literal_column(f"'{type_name}'")  # a GraphQL type name


def _sub_page_items(
    label: str, size: ColumnElement[Any]
) -> Callable[[Principal, Any], ColumnElement[Any]]:
    return lambda _principal, rows: _page_list(rows.c[label], rows, size)


def _page_list(item: ColumnElement[Any], rows: Any, size: ColumnElement[Any]) -> ColumnElement[Any]:
    """A JSON array of ``item`` over the page's rows (not the one beyond it), in order."""
    items = func.json_agg(aggregate_order_by(item, rows.c.n)).filter(rows.c.n <= size)
    return func.coalesce(items, literal_column("'[]'::json"))


def _page_cursor(rows: Any, size: ColumnElement[Any], last: bool) -> ColumnElement[Any]:
    """The cursor of the page's first (or last) row, null for an empty page."""
    by = rows.c.n.desc() if last else rows.c.n
    cursors = func.array_agg(aggregate_order_by(rows.c.c, by)).filter(rows.c.n <= size)
    return type_coerce(cursors, ARRAY(Text))[1]


def _count_under(spec: Many, principal: Principal) -> ColumnElement[Any]:
    """How many rows the parent's whole list holds (``totalCount``), as the loader counts."""
    source: FromClause = spec.source() if spec.source else spec.model.__table__
    rows = select(func.count()).select_from(source).where(spec.on(), *spec.where(principal))
    return rows.correlate(spec.parent.__table__).scalar_subquery()


@dataclass(frozen=True, slots=True)
class Page:
    """A connection's page while its statement is rendered: ``rows`` (a CTE of the page's
    ids, cursors and numbers ``n``, one row beyond the page to tell whether there are more),
    the page size, and whether the page follows a cursor."""

    rows: Any
    size: ColumnElement[Any]
    after: bool

    def cursors(self) -> Select[Any]:
        return select(self.rows.c.cursor).where(self.rows.c.n <= self.size)


PageRender = Callable[[Principal, Select[Any], Page], ColumnElement[Any]]


def _page_items(item: Callable[[Principal, Page], ColumnElement[Any]], spec: Listing) -> PageRender:
    """A JSON array of ``item`` over a root connection's page, in order."""
    model = spec.model

    def render(principal: Principal, _rows: Select[Any], page: Page) -> ColumnElement[Any]:
        limited = page.rows
        items = func.json_agg(aggregate_order_by(item(principal, page), limited.c.n))
        return (
            select(func.coalesce(items, literal_column("'[]'::json")))
            .select_from(limited.join(model.__table__, model.id == limited.c.id))
            .where(limited.c.n <= page.size)
            .scalar_subquery()
        )

    return render


def _total_count(_principal: Principal, rows: Select[Any], _page: Page) -> ColumnElement[Any]:
    """The whole filtered list counted as ``keyset_page`` counts it."""
    return select(func.count()).select_from(rows.order_by(None).subquery()).scalar_subquery()


_PAGE_INFO: dict[str, Callable[[Page], ColumnElement[Any]]] = {
    "hasNextPage": lambda page: (
        select(func.count() > page.size).select_from(page.rows).scalar_subquery()
    ),
    "hasPreviousPage": lambda page: literal_column("true" if page.after else "false"),
    "startCursor": lambda page: page.cursors().where(page.rows.c.n == 1).scalar_subquery(),
    "endCursor": lambda page: (
        page.cursors().order_by(page.rows.c.n.desc()).limit(1).scalar_subquery()
    ),
}

# The SQL types of sort keys, each a parameter of its own (a statement uses its sort's).
_KEY_TYPES = ("varchar", "integer", "bigint", "timestamptz", "date", "numeric")


def _key_type(column: Any) -> str:
    python_type = column.type.python_type
    if python_type is int:
        return "bigint" if int_bound(column.type) == INT64 else "integer"
    types = {
        str: "varchar",
        bool: "boolean",
        datetime: "timestamptz",
        date: "date",
        Decimal: "numeric",
    }
    if python_type not in types:
        raise NotPlain
    return types[python_type]


def _unshaped(render: Render) -> ShapedRender:
    return lambda principal, _shape: render(principal)


def _on_page(render: Render) -> PageRender:
    return lambda principal, _rows, _page: render(principal)


def _on_edge(render: Render) -> Callable[[Principal, Page], ColumnElement[Any]]:
    return lambda principal, _page: render(principal)


def _page_constant(value: str) -> Callable[[Page], ColumnElement[Any]]:
    return lambda _page: literal_column(f"'{value}'")  # a GraphQL type name


_snake = functools.lru_cache(256)(to_snake_case)  # input field names: a few, read often


def _non_blank(value: Any) -> bool:
    """A filter value given: not null, and for a text not only blanks."""
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


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
    write = json_scalar(type_)
    return lambda row: write(build(row))


def _term(
    type_: GraphQLOutputType,
    build: Callable[[Principal, Any], ColumnElement[Any]],
    terms: Any,
) -> Render:
    write = json_scalar(type_)
    return lambda principal: write(build(principal, terms))


def _one(spec: One, inner: Render) -> Render:
    def render(principal: Principal) -> ColumnElement[Any]:
        rows = select(inner(principal)).where(spec.on()).order_by(*spec.order_by).limit(1)
        # The related row comes from its own table, even where the parent's statement
        # joins that table too (a receivable's plan joined to its order).
        return rows.correlate_except(spec.model).scalar_subquery()

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
