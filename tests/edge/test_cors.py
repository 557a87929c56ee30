"""A browser front end on an allowed origin may call the API; other origins may not."""

from __future__ import annotations

import httpx

from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from gql_crm.settings import Settings
from tests.edge.conftest import edge_app
from tests.graphql_client import GraphQLClient

FRONT_END = "http://localhost:3000"


def _preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }


async def test_an_allowed_origin_is_answered_and_may_send_its_token(
    settings: Settings, clock: FrozenClock, database: Database
) -> None:
    async with edge_app(settings, clock, allowed_origins=[FRONT_END]) as (_, http):
        preflight = await http.options("/graphql", headers=_preflight(FRONT_END))
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == FRONT_END
        assert preflight.headers["access-control-allow-credentials"] == "true"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert "authorization" in allowed and "content-type" in allowed

        sales1 = await GraphQLClient(http).as_user("sales1")
        response = await http.post(
            "/graphql",
            json={"query": "{ me { loginName } }"},
            headers={"Origin": FRONT_END, "Authorization": f"Bearer {sales1.token}"},
        )
        assert response.json() == {"data": {"me": {"loginName": "sales1"}}}
        assert response.headers["access-control-allow-origin"] == FRONT_END
        assert "retry-after" in response.headers["access-control-expose-headers"].lower()


async def test_another_origin_is_refused(
    settings: Settings, clock: FrozenClock, database: Database
) -> None:
    async with edge_app(settings, clock, allowed_origins=[FRONT_END]) as (_, http):
        preflight = await http.options("/graphql", headers=_preflight("https://evil.example"))
        assert preflight.status_code == 400
        assert "access-control-allow-origin" not in preflight.headers

        response = await http.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"}
        )
        # The browser withholds the answer from the page: it carries no allowing header.
        assert "access-control-allow-origin" not in response.headers


async def test_without_allowed_origins_there_is_no_cross_origin_access(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    assert settings.allowed_origins == []
    preflight = await http.options("/graphql", headers=_preflight(FRONT_END))
    assert "access-control-allow-origin" not in preflight.headers
