"""Baseline protection: depth, alias and token limits, introspection switch, error masking."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from gql_crm.app import create_app
from gql_crm.db.engine import Database
from gql_crm.settings import Settings
from tests.fixtures.live_server import started
from tests.graphql_client import GraphQLClient


async def test_an_over_deep_query_is_refused_with_a_clear_message(sales1: GraphQLClient) -> None:
    nested = "parent { " * 12 + "id" + " }" * 12
    body = await sales1.execute(f"{{ departments {{ {nested} }} }}")
    assert body.get("data") is None
    error = body["errors"][0]
    assert "exceeds maximum operation depth" in error["message"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_a_query_within_the_depth_limit_runs(sales1: GraphQLClient) -> None:
    nested = "parent { " * 8 + "id" + " }" * 8
    assert "departments" in await sales1.data(f"{{ departments {{ {nested} }} }}")


async def test_too_many_aliases_are_refused(sales1: GraphQLClient) -> None:
    aliases = " ".join(f"a{i}: me {{ id }}" for i in range(31))
    body = await sales1.execute(f"{{ {aliases} }}")
    assert "aliases found" in body["errors"][0]["message"].lower()


async def test_too_many_tokens_are_refused(sales1: GraphQLClient) -> None:
    fields = " ".join(["id"] * 4100)
    body = await sales1.execute(f"{{ me {{ {fields} }} }}")
    assert "more than 4000 tokens" in body["errors"][0]["message"]


async def test_introspection_is_on_when_enabled(sales1: GraphQLClient) -> None:
    data = await sales1.data("{ __schema { queryType { name } } }")
    assert data["__schema"]["queryType"]["name"] == "Query"


@pytest.fixture
async def production_http(
    settings: Settings, database: Database
) -> AsyncIterator[httpx.AsyncClient]:
    """A server configured as in production: no debug, introspection and GraphiQL off."""
    prod = settings.model_copy(update={"introspection": False, "graphiql": False, "debug": False})
    app = create_app(prod)
    async with started(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://prod") as client:
            yield client


async def test_introspection_and_graphiql_can_be_switched_off(
    production_http: httpx.AsyncClient,
) -> None:
    response = await production_http.post(
        "/graphql", json={"query": "{ __schema { queryType { name } } }"}
    )
    assert "introspection" in response.json()["errors"][0]["message"].lower()
    page = await production_http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 404


async def test_unexpected_errors_are_masked(
    production_http: httpx.AsyncClient, database: Database
) -> None:
    client = GraphQLClient(production_http)
    token = (await client.login("sales1", "demo-password"))["token"]
    signed_in = GraphQLClient(production_http, token)
    # Break the database under the server: the failure must not leak SQL to the client.
    async with database.writer() as session, session.begin():
        await session.execute(text("UPDATE maturity_options SET pool = 'bogus'"))
    body = await signed_in.execute("{ systemSettings { maturityOptions { pool } } }")
    error = body["errors"][0]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}


async def test_a_cursor_with_an_integer_out_of_range_is_bad_user_input(
    sales1: GraphQLClient,
) -> None:
    raw = json.dumps(["Li Na", 2**64]).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    codes = await sales1.error_codes(
        "query($after: String) { users(after: $after) { totalCount } }", after=cursor
    )
    assert codes == ["BAD_USER_INPUT"]


NESTED_LISTS = " ".join(
    f"{name}(first: 20) {{ nodes {{ id }} }}"
    for name in ("followUps", "opportunities", "orders", "tasks", "schedules", "notes")
)


async def test_a_query_over_the_cost_budget_is_refused_before_it_runs(
    sales1: GraphQLClient,
) -> None:
    pages = " ".join(
        f"a{i}: customers(first: 100) {{ edges {{ node {{ id {NESTED_LISTS} }} }} }}"
        for i in range(30)
    )
    body = await sales1.execute(f"{{ {pages} }}")
    assert "data" not in body or body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["budget"] == 50_000
    assert error["extensions"]["cost"] > 50_000
    assert "smaller pages" in error["message"]


async def test_a_variable_page_size_counts_as_its_default_or_the_largest_page(
    sales1: GraphQLClient,
) -> None:
    page = f"customers(first: $n) {{ edges {{ node {{ id {NESTED_LISTS} }} }} }}"
    pages = " ".join(f"a{i}: {page}" for i in range(5))
    # 5 x 100 customers x 6 lists of 20: over the budget unless the default says fewer.
    refused = await sales1.execute(f"query Pages($n: Int) {{ {pages} }}", n=1)
    assert refused["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    within = await sales1.execute(f"query Pages($n: Int = 10) {{ {pages} }}", n=10)
    assert "errors" not in within, within


async def test_a_customer_s_connections_count_by_their_page_size(sales1: GraphQLClient) -> None:
    def views(first: int) -> str:
        parts = " ".join(
            f"{name}(first: {first}) {{ edges {{ cursor node {{ id }} }} }}"
            for name in ("followUps", "tasks", "notes", "orders", "payments", "invoices")
        )
        return " ".join(f"a{i}: customer(id: 1) {{ id {parts} }}" for i in range(30))

    # 30 views x 6 connections x 100 records x (edge, cursor, node, id): over the budget
    refused = await sales1.execute(f"{{ {views(100)} }}")
    assert refused["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert refused["errors"][0]["extensions"]["cost"] > 30 * 6 * 100 * 3
    within = await sales1.execute(f"{{ {views(10)} }}")
    assert "errors" not in within, within


async def test_a_customer_list_page_is_well_within_the_budget(sales1: GraphQLClient) -> None:
    data = await sales1.data(
        "{ customers(first: 100) { totalCount edges { node { id name owner { name } "
        + NESTED_LISTS
        + " } } } }"
    )
    assert "customers" in data
