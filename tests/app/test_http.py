"""The HTTP surface: /graphql over POST and GET, GraphiQL, health and readiness."""

from __future__ import annotations

import dataclasses
import logging

import httpx
import pytest

from gql_crm.app import create_app
from gql_crm.settings import Settings
from tests.fixtures.live_server import started
from tests.graphql_client import GraphQLClient


async def test_healthz_and_readyz(http: httpx.AsyncClient, settings: Settings) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    ready = await http.get("/readyz")
    assert ready.status_code == 200
    expected = {"ready": True, "database": "ok"}
    if settings.redis_url:
        expected["redis"] = "ok"
    assert ready.json() == expected


async def test_readyz_reports_an_unreachable_redis(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"redis_url": None}))
    async with started(app):
        # Redis goes away after start-up: readiness must say so.
        broken = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
        app.state.services = dataclasses.replace(app.state.services, settings=broken)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/readyz")
    assert response.status_code == 503
    # Which dependency failed, not how: the exception is for the log.
    assert response.json() == {"ready": False, "database": "ok", "redis": "unavailable"}


async def test_queries_over_get(http: httpx.AsyncClient, sales1: GraphQLClient) -> None:
    response = await http.get(
        "/graphql",
        params={"query": "{ me { loginName } }"},
        headers={"Authorization": f"Bearer {sales1.token}"},
    )
    assert response.json() == {"data": {"me": {"loginName": "sales1"}}}


async def test_mutations_are_refused_over_get(http: httpx.AsyncClient) -> None:
    response = await http.get(
        "/graphql",
        params={"query": 'mutation { login(loginName: "a", password: "b") { __typename } }'},
    )
    # The specification's answer: 405 with the methods that would do.
    assert (response.status_code, response.headers["allow"]) == (405, "POST")
    error = response.json()["errors"][0]
    assert "mutations are not allowed" in error["message"].lower()
    assert error["extensions"]["code"] == "BAD_REQUEST"


async def test_graphiql_is_served_to_browsers(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer not-a-jwt"])
async def test_malformed_authorization_is_unauthenticated(
    http: httpx.AsyncClient, header: str
) -> None:
    response = await http.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": header}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_expected_errors_are_not_logged_as_incidents(
    sales1: GraphQLClient, gql: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A bad argument, a missing token, a missing permission: answers with a code, no trace."""
    assert await sales1.error_codes("{ users(first: 101) { totalCount } }") == ["BAD_USER_INPUT"]
    assert await gql.error_codes("{ me { id } }") == ["UNAUTHENTICATED"]
    assert await sales1.error_codes("mutation { deleteCustomer(id: 1) { __typename } }") == [
        "FORBIDDEN"
    ]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
