"""Every permission a root field declares is enforced, whatever the field: generated from the
schema, so a new query, mutation or subscription is probed without anyone writing its test.

For each protected field an operation is built with its required arguments filled with
plausible values of their types, and run as a signed-in user whose position has no
permission at all: the answer is the FORBIDDEN error naming a declared permission, and
nothing is written.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterator
from typing import Any

import pytest
from graphql import (
    GraphQLField,
    GraphQLInputType,
    GraphQLObjectType,
    ObjectTypeDefinitionNode,
    get_named_type,
    is_enum_type,
    is_input_object_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_required_argument,
    is_required_input_field,
    is_scalar_type,
    parse,
    print_ast,
    validate,
)
from starlette.applications import Starlette

from gql_crm.auth.principal import forbidden_message
from gql_crm.context import Context
from gql_crm.db.engine import Database
from gql_crm.schema import build_schema
from gql_crm.schema.common import declared_permissions
from gql_crm.services.auth import authenticate
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import row_counts
from tests.graphql_client import GraphQLClient
from tests.ws_client import live_client

SCHEMA = build_schema()
GRAPHQL_SCHEMA = SCHEMA._schema

# Mutations open to every signed-in user (or to anyone): the caller acts on their own
# records, or the permission depends on the record the arguments name and is checked by the
# service (a task needs task:delete, other records customer:delete; an attachment needs
# order:edit on an order, customer:edit on a customer).
OPEN_MUTATIONS = {
    "login",
    "changePassword",
    "markNotificationRead",
    "markAllNotificationsRead",
    "sendMessage",
    "sendMessages",
    "markMessageRead",
    "applyForApproval",
    "approve",
    "reject",
    "commentOnApproval",
    "withdrawApproval",
    "submitWorkLog",
    "commentOnWorkLog",
    "deleteCustomerRecord",
    "restoreCustomerRecord",
    "purgeCustomerRecord",
    "uploadAttachment",
    "deleteAttachment",
    # The export or import permission depends on the kind asked for (tests/job/).
    "startExport",
    "startImport",
    "cancelJob",
    "createNote",
    "updateNote",
    "deleteNote",
    "createBookmark",
    "updateBookmark",
    "deleteBookmark",
    "createDiaryEntry",
    "updateDiaryEntry",
    "deleteDiaryEntry",
    "commentOnDiaryEntry",
}

SCALARS: dict[str, Any] = {
    "Int": 1,
    "Float": 1.0,
    "String": "x",
    "Boolean": True,
    "ID": "1",
    "Decimal": "1",
    "DateTime": "2026-03-02T09:00:00+00:00",
    "Date": "2026-03-02",
    "JSON": {},
    "Upload": "x",  # no file part: the permission is refused before anything reads it
}


def _roots() -> Iterator[tuple[str, GraphQLObjectType]]:
    for kind, root in (
        ("query", GRAPHQL_SCHEMA.query_type),
        ("mutation", GRAPHQL_SCHEMA.mutation_type),
        ("subscription", GRAPHQL_SCHEMA.subscription_type),
    ):
        assert root is not None
        yield kind, root


PROTECTED: dict[tuple[str, str], tuple[str, ...]] = {
    (kind, name): codes
    for kind, root in _roots()
    for name, field in root.fields.items()
    if (codes := declared_permissions(field))
}


def dummy(type_: GraphQLInputType) -> Any:
    """A plausible value of an input type (input objects get their required fields)."""
    if is_non_null_type(type_):
        return dummy(type_.of_type)
    if is_list_type(type_):
        return [dummy(type_.of_type)]
    if is_enum_type(type_):
        return next(iter(type_.values))
    if is_input_object_type(type_):
        return {
            name: dummy(field.type)
            for name, field in type_.fields.items()
            if is_required_input_field(field)
        }
    assert is_scalar_type(type_)
    assert type_.name in SCALARS, f"no dummy value for the scalar {type_.name}: add one"
    return SCALARS[type_.name]


def probe(kind: str, name: str, field: GraphQLField) -> tuple[str, dict[str, Any]]:
    """An operation selecting ``name`` with its required arguments, and their values."""
    required = {n: a for n, a in field.args.items() if is_required_argument(a)}
    definitions = ", ".join(f"${n}: {a.type}" for n, a in required.items())
    arguments = ", ".join(f"{n}: ${n}" for n in required)
    selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
    text = (
        f"{kind} Probe{f'({definitions})' if definitions else ''}"
        f" {{ {name}{f'({arguments})' if arguments else ''}{selection} }}"
    )
    return text, {n: dummy(a.type) for n, a in required.items()}


def probes(kind: str) -> Iterator[tuple[str, str, dict[str, Any], tuple[str, ...]]]:
    root = dict(_roots())[kind]
    for (field_kind, name), codes in PROTECTED.items():
        if field_kind == kind:
            yield (name, *probe(kind, name, root.fields[name]), codes)


def refusal_problem(body: dict[str, Any], name: str, codes: tuple[str, ...]) -> str | None:
    """What is wrong with ``body`` as the refusal of ``name`` (None: it is right)."""
    errors = body.get("errors") or []
    if len(errors) != 1:
        return f"expected one error, got {errors}"
    [error] = errors
    if (error.get("extensions") or {}).get("code") != "FORBIDDEN":
        return f"expected FORBIDDEN, got {error}"
    if error["message"] not in {forbidden_message(code) for code in codes}:
        return f"the message names none of {codes}: {error['message']}"
    if body.get("data") not in (None, {name: None}):
        return f"data was given: {body['data']}"
    return None


@pytest.fixture
async def powerless(admin: GraphQLClient, gql: GraphQLClient) -> GraphQLClient:
    """A signed-in user whose position grants nothing (and sees everyone's data)."""
    position = await admin.data(
        """mutation { createPosition(input: {name: "No rights", dataScope: ALL}) {
             ... on PositionSuccess { position { id } } } }"""
    )
    position_id = position["createPosition"]["position"]["id"]
    created = await admin.data(
        """mutation($position: Int!) { createUser(input: {name: "Powerless",
             loginName: "powerless", password: "powerless-pass-1", positionId: $position}) {
             __typename } }""",
        position=position_id,
    )
    assert created["createUser"]["__typename"] == "UserSuccess", created
    return await gql.as_user("powerless", "powerless-pass-1")


def test_the_generator_finds_and_probes_every_declared_permission() -> None:
    """No protected field is left out: the probed fields are those the schema text shows
    with @requiresPermission, and each probe is a valid operation."""
    sdl = parse(SCHEMA.as_str())
    definitions = {
        d.name.value: d for d in sdl.definitions if isinstance(d, ObjectTypeDefinitionNode)
    }
    shown: dict[tuple[str, str], tuple[str, ...]] = {}
    for kind, root in _roots():
        for field in definitions[root.name].fields or ():
            codes = tuple(
                print_ast(argument.value).strip('"')
                for directive in field.directives or ()
                if directive.name.value == "requiresPermission"
                for argument in directive.arguments or ()
            )
            if codes:
                shown[(kind, field.name.value)] = codes
    assert shown == PROTECTED
    assert {kind for kind, _name in PROTECTED} == {"query", "mutation", "subscription"}
    probed = {
        (kind, name) for kind in ("query", "mutation", "subscription") for name, *_ in probes(kind)
    }
    assert probed == set(PROTECTED)
    for kind in ("query", "mutation", "subscription"):
        for name, text, _variables, _codes in probes(kind):
            assert validate(GRAPHQL_SCHEMA, parse(text)) == [], (name, text)


def test_every_mutation_declares_a_permission_or_is_open_by_design() -> None:
    mutation = GRAPHQL_SCHEMA.mutation_type
    assert mutation is not None
    undeclared = {
        name for name, field in mutation.fields.items() if not declared_permissions(field)
    }
    assert undeclared == OPEN_MUTATIONS


@pytest.mark.parametrize("kind", ["query", "mutation"])
async def test_every_protected_field_is_refused_without_its_permission(
    powerless: GraphQLClient, database: Database, kind: str
) -> None:
    problems: list[str] = []
    for name, text, variables, codes in probes(kind):
        before = await row_counts(database)
        body = await powerless.execute(text, **variables)
        if problem := refusal_problem(body, name, codes):
            problems.append(f"{name}: {problem}")
        after = await row_counts(database)
        if changed := {t: (before[t], after[t]) for t in before if before[t] != after[t]}:
            problems.append(f"{name} wrote rows: {changed}")
    assert problems == []


async def test_every_protected_subscription_is_refused_over_the_socket(
    app: Starlette, powerless: GraphQLClient
) -> None:
    """The plain selection goes through the direct path (direct/subscriptions.py)."""
    problems: list[str] = []
    async with live_client(app, powerless.token) as live:
        for name, text, variables, codes in probes("subscription"):
            operation_id = await live.subscribe(text, **variables)
            message = await live.receive()
            assert message["id"] == operation_id
            if message["type"] == "next":
                body = message["payload"]
            else:
                body = {"errors": message.get("payload"), "data": None}
            if problem := refusal_problem(body, name, codes):
                problems.append(f"{name}: {problem}")
    assert problems == []


async def test_every_protected_subscription_is_refused_by_the_executor(
    services: Services, powerless: GraphQLClient
) -> None:
    """Through Strawberry's own subscribe, the path of selections with resolvers."""
    assert powerless.token is not None
    principal = await authenticate(services, powerless.token)
    problems: list[str] = []
    for name, text, variables, codes in probes("subscription"):
        result = await SCHEMA.subscribe(
            text, variable_values=variables, context_value=Context(services, principal)
        )
        if isinstance(result, AsyncGenerator):
            # Strawberry yields the refusal as the stream's first result; a stream that
            # waits for events instead has subscribed.
            try:
                first = await asyncio.wait_for(anext(result), 5)
            except TimeoutError:
                problems.append(f"{name}: subscribed")
                continue
            finally:
                await result.aclose()
        else:
            first = result
        body = {"data": first.data, "errors": [e.formatted for e in first.errors or []]}
        if problem := refusal_problem(body, name, codes):
            problems.append(f"{name}: {problem}")
    assert problems == []
