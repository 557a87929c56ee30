"""Bad input never reaches the database: every mutation's every text, decimal, date and
datetime input is sent a hostile value, which must be refused without a write and never
answer INTERNAL_SERVER_ERROR; named examples answer with the field they concern."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
)

from gql_crm.auth.permissions import ALL_PERMISSIONS
from gql_crm.db.pagination import encode_cursor
from gql_crm.schema import build_schema
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import row_counts
from tests.graphql_client import GraphQLClient

Path = tuple[str | int, ...]

PLAUSIBLE: dict[str, Any] = {
    "String": "Plausible 1",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "ID": "1",
    "Decimal": "1.00",
    "Date": "2024-05-01",
    "DateTime": "2024-05-01T09:00:00+08:00",
    "JSON": {},
}
# Values the services check for a format or against the catalogue, by input field name.
PLAUSIBLE_BY_NAME: dict[str, Any] = {
    "loginName": "probe.user",
    "phone": "+86 138 0000 0000",
    "mobile": "+86 138 0000 0000",
    "email": "probe@example.com",
    "timezone": "Asia/Shanghai",
    # Every code and every row, should a probe land on the administrator's own position.
    "permissions": sorted(ALL_PERMISSIONS),
    "dataScope": "ALL",
    "gender": "female",
    "website": "https://example.com",
    "field": "city",
    "password": "Probe-password-1",
    "newPassword": "Probe-password-1",
}
# Record 1 of these is the administrator (or their position): probes change record 2.
SPARE_ADMIN = {"updateUser", "setUserActive", "resetPassword", "deleteUser", "updatePosition"}
# An administrator sees every owner, and these services do not check that the named user
# exists: a missing one fails the foreign key (INTERNAL_SERVER_ERROR). Open: fixed in the
# services, then removed from here.
HOSTILE: dict[str, list[Any]] = {
    "String": ["nul \x00 byte", "x" * 1_000_000],
    "Decimal": ["Infinity", "sNaN"],
    "DateTime": ["9999-12-31T23:59:59-14:00"],
    "Date": ["9999-12-31"],
    "JSON": [{"color": "nul \x00 byte"}],
}
# Mutations whose arguments include an Upload: they take multipart requests.
SKIPPED_SCALARS = {"Upload"}


@functools.cache
def graphql_schema() -> GraphQLSchema:
    return build_schema()._schema


def _named(type_: GraphQLInputType) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def plausible(type_: GraphQLInputType, name: str = "") -> Any:
    """A value of ``type_``: every input field given, except optional ids and numbers (left
    null so that they refer to nothing that does not exist)."""
    if isinstance(type_, GraphQLScalarType) and type_.name == "Int":
        return None
    if name in PLAUSIBLE_BY_NAME:
        return PLAUSIBLE_BY_NAME[name]
    if isinstance(type_, GraphQLNonNull):
        inner = type_.of_type
        return (
            PLAUSIBLE["Int"]
            if _named(inner).name == "Int" and inner is _named(inner)
            else (plausible(inner))
        )
    if isinstance(type_, GraphQLList):
        return [plausible(type_.of_type, name)]
    if isinstance(type_, GraphQLInputObjectType):
        return {name: plausible(field.type, name) for name, field in type_.fields.items()}
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    assert isinstance(type_, GraphQLScalarType)
    return PLAUSIBLE[type_.name]


def leaves(type_: GraphQLInputType, path: Path) -> Iterator[tuple[Path, str]]:
    """(path, scalar name) of every scalar inside an argument, lists entered at index 0."""
    if isinstance(type_, GraphQLNonNull):
        yield from leaves(type_.of_type, path)
    elif isinstance(type_, GraphQLList):
        yield from leaves(type_.of_type, (*path, 0))
    elif isinstance(type_, GraphQLInputObjectType):
        for name, field in type_.fields.items():
            yield from leaves(field.type, (*path, name))
    elif isinstance(type_, GraphQLScalarType):
        yield path, type_.name


def with_value(variables: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    # Only the branch along the path is copied; the rest is never mutated.
    def put(node: Any, rest: Path) -> Any:
        if not rest:
            return value
        head, tail = rest[0], rest[1:]
        if isinstance(node, list):
            assert isinstance(head, int)
            return [put(item, tail) if i == head else item for i, item in enumerate(node)]
        return {**node, head: put(node[head], tail)}

    result: dict[str, Any] = put(variables, path)
    return result


def document(name: str, field: GraphQLField) -> str:
    declared = ", ".join(f"${arg}: {arg_def.type}" for arg, arg_def in field.args.items())
    passed = ", ".join(f"{arg}: ${arg}" for arg in field.args)
    return f"mutation Probe({declared}) {{ {name}({passed}) {{ __typename }} }}"


def cases(scalars: set[str]) -> Iterator[tuple[str, str, dict[str, Any], Path, str]]:
    """(mutation, document, plausible variables, path, scalar) for each scalar leaf."""
    mutation = graphql_schema().mutation_type
    assert mutation is not None
    for name, field in mutation.fields.items():
        found = [
            (path, scalar)
            for arg, arg_def in field.args.items()
            for path, scalar in leaves(arg_def.type, (arg,))
        ]
        if any(scalar in SKIPPED_SCALARS for _, scalar in found):
            continue
        variables = {arg: plausible(arg_def.type, arg) for arg, arg_def in field.args.items()}
        if name in SPARE_ADMIN:
            variables["id"] = 2
        for path, scalar in found:
            if scalar in scalars:
                yield name, document(name, field), variables, path, scalar


def internal_errors(response_status: int, body: dict[str, Any]) -> list[str]:
    if response_status >= 500:
        return [f"HTTP {response_status}"]
    return [
        error.get("message", "")
        for error in body.get("errors") or []
        if (error.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR"
    ]


async def send(client: GraphQLClient, query: str, variables: dict[str, Any]) -> tuple[int, Any]:
    response = await client.http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {client.token}"},
    )
    return response.status_code, response.json() if response.status_code < 500 else {}


def test_the_walk_covers_every_kind_of_input() -> None:
    found = {scalar for *_, scalar in cases(set(HOSTILE) | {"Int"})}
    assert found == {"String", "Decimal", "DateTime", "Date", "JSON", "Int"}
    assert len({name for name, *_ in cases({"String"})}) > 50


SEED = """
mutation Seed {
  createCustomer(input: {name: "Probe customer"}) { __typename }
  claimCustomer(id: 1) { __typename }
  createProduct(input: {name: "Probe", code: "P-1", price: "10.00"}) { __typename }
  createOrder(customerId: 1, input: {title: "Probe order",
    lines: [{productId: 1, quantity: "2.00"}]}) { __typename }
}
"""


async def test_hostile_values_are_refused_without_a_write(
    admin: GraphQLClient, services: Services
) -> None:
    # Customer, product, order and order line 1 exist, so that id 1 refers to something.
    seeded = await admin.data(SEED)
    assert {result["__typename"] for result in seeded.values()} == {
        "CustomerSuccess",
        "ProductSuccess",
        "OrderSuccess",
    }
    failures: list[str] = []
    for name, query, variables, path, scalar in cases(set(HOSTILE)):
        for bad in HOSTILE[scalar]:
            before = await row_counts(services)
            status, body = await send(admin, query, with_value(variables, path, bad))
            where = f"{name} {'.'.join(map(str, path))} = {str(bad)[:30]!r}"
            if problems := internal_errors(status, body):
                failures.append(f"{where}: {problems}")
            elif await row_counts(services) != before:
                failures.append(f"{where}: written ({body})")
    assert not failures, "\n".join(failures)


async def test_the_largest_integers_never_answer_internal_server_error(
    admin: GraphQLClient,
) -> None:
    await admin.data(SEED)
    failures: list[str] = []
    for name, query, variables, path, _ in cases({"Int"}):
        for extreme in (2**31 - 1, -(2**31)):
            status, body = await send(admin, query, with_value(variables, path, extreme))
            if problems := internal_errors(status, body):
                failures.append(f"{name} {'.'.join(map(str, path))} = {extreme}: {problems}")
    # Whatever was accepted (settings above all) still lets the pool clocks and the
    # workbench answer.
    reads = "{ customer(id: 1) { poolRelease { at } } workbench { today tasks { id } } }"
    status, body = await send(admin, reads, {})
    if problems := internal_errors(status, body):
        failures.append(f"afterwards: {problems}")
    assert not failures, "\n".join(failures)


def problems_of(result: dict[str, Any]) -> dict[str, str]:
    assert result["__typename"] == "InvalidInputError", result
    return {p["field"]: p["message"] for p in result["problems"]}


INVALID = "... on InvalidInputError { problems { field message } }"


async def test_a_nul_byte_in_a_customer_name_names_the_field(
    admin: GraphQLClient, services: Services
) -> None:
    before = await row_counts(services)
    data = await admin.data(
        f"""mutation {{ createCustomer(input: {{name: "Acme\\u0000 Ltd"}})
        {{ __typename {INVALID} }} }}"""
    )
    assert "control characters" in problems_of(data["createCustomer"])["name"]
    assert await row_counts(services) == before


async def test_infinity_as_a_product_price_names_the_field(admin: GraphQLClient) -> None:
    data = await admin.data(
        f"""mutation {{ createProduct(input: {{name: "Bolt", code: "B-1", price: "Infinity"}})
        {{ __typename {INVALID} }} }}"""
    )
    assert "finite" in problems_of(data["createProduct"])["price"]


async def test_a_task_due_beyond_the_calendar_names_the_field(admin: GraphQLClient) -> None:
    customer = await admin.data(
        """mutation { createCustomer(input: {name: "Acme"})
        { ... on CustomerSuccess { customer { id } } } }"""
    )
    customer_id = customer["createCustomer"]["customer"]["id"]
    data = await admin.data(
        f"""mutation($id: Int!) {{ createTask(customerId: $id,
        input: {{content: "Call back", dueAt: "9999-12-31T23:59:59-14:00"}})
        {{ __typename {INVALID} }} }}""",
        id=customer_id,
    )
    assert "between 1900 and 2200" in problems_of(data["createTask"])["dueAt"]


async def test_megabyte_payment_plan_remarks_name_the_field(admin: GraphQLClient) -> None:
    data = await admin.data(
        f"""mutation($remarks: String!) {{ addPaymentPlan(orderId: 1, dueOn: "2024-06-01",
        amount: "10.00", remarks: $remarks) {{ __typename {INVALID} }} }}""",
        remarks="x" * 1_000_000,
    )
    assert "at most 20000 characters" in problems_of(data["addPaymentPlan"])["remarks"]


async def test_an_absurd_release_period_is_refused(admin: GraphQLClient) -> None:
    data = await admin.data(
        f"""mutation {{ updateSystemSettings(input: {{temporaryReleaseDays: 2147483647}})
        {{ __typename {INVALID} }} }}"""
    )
    assert "at most 3650" in problems_of(data["updateSystemSettings"])["temporaryReleaseDays"]
    settings = await admin.data("{ systemSettings { temporaryReleaseDays } }")
    assert settings["systemSettings"]["temporaryReleaseDays"] == 7


async def test_an_attachment_id_beyond_32_bits_is_not_found(admin: GraphQLClient) -> None:
    response = await admin.http.get(
        "/attachments/2147483648", headers={"Authorization": f"Bearer {admin.token}"}
    )
    assert response.status_code == 404


async def test_a_cursor_beyond_32_bit_ids_is_a_bad_request(admin: GraphQLClient) -> None:
    for cursor in (encode_cursor(["A", 2**31]), "A" * 100_000):
        codes = await admin.error_codes(
            "query($after: String) { products(after: $after) { totalCount } }", after=cursor
        )
        assert codes == ["BAD_USER_INPUT"]


async def test_a_nul_byte_in_a_query_argument_is_a_bad_request(admin: GraphQLClient) -> None:
    body = await admin.execute(
        "query($q: String) { products(filter: {search: $q}) { totalCount } }", q="a\x00"
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert "filter.search" in body["errors"][0]["message"]
