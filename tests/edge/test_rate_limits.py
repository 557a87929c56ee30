"""Requests per signed-in user are limited: HTTP answers 429 with Retry-After, an operation
over WebSocket an error with the code RATE_LIMITED; other users are not held up."""

from __future__ import annotations

import dataclasses

from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from gql_crm.settings import Settings
from gql_crm.web.rate_limits import rate_key
from tests.edge.conftest import edge_app
from tests.fixtures.users import principal
from tests.graphql_client import GraphQLClient
from tests.ws_client import live_client

ME = {"query": "{ me { loginName } }"}


def _bearer(client: GraphQLClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.token}"}


async def test_over_the_limit_http_answers_429_with_retry_after(
    settings: Settings, clock: FrozenClock, database: Database
) -> None:
    async with edge_app(settings, clock, rate_limit="3/hour") as (_, http):
        anonymous = GraphQLClient(http)
        sales1 = await anonymous.as_user(
            "sales1", first_request=False
        )  # signing in is the sign-in throttle's
        sales2 = await anonymous.as_user("sales2", first_request=False)
        for _ in range(3):
            assert (await sales1.data(ME["query"]))["me"] == {"loginName": "sales1"}

        refused = await http.post("/graphql", json=ME, headers=_bearer(sales1))

        assert refused.status_code == 429
        retry_after = int(refused.headers["retry-after"])
        assert 3500 < retry_after <= 3600
        error = refused.json()["errors"][0]
        assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": retry_after}
        assert "data" not in refused.json()
        # Downloads count against the same limit.
        download = await http.get("/attachments/1", headers=_bearer(sales1))
        assert download.status_code == 429
        # Another user has a count of their own; anonymous requests are not counted.
        assert (await sales2.data(ME["query"]))["me"] == {"loginName": "sales2"}
        assert await anonymous.error_codes("{ me { id } }") == ["UNAUTHENTICATED"]


async def test_every_rate_of_the_setting_counts(
    settings: Settings, clock: FrozenClock, database: Database
) -> None:
    async with edge_app(settings, clock, rate_limit="100/hour;2/day") as (_, http):
        sales1 = await GraphQLClient(http).as_user("sales1", first_request=False)
        responses = [
            await http.post("/graphql", json=ME, headers=_bearer(sales1)) for _ in range(3)
        ]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert 86_000 < int(responses[2].headers["retry-after"]) <= 86_400


async def test_over_the_limit_a_websocket_operation_gets_rate_limited(
    settings: Settings, clock: FrozenClock, database: Database
) -> None:
    async with edge_app(settings, clock, rate_limit="2/hour") as (app, http):
        sales1 = await GraphQLClient(http).as_user("sales1", first_request=False)
        async with live_client(app, sales1.token) as live:
            for _ in range(2):
                operation = await live.subscribe(ME["query"])
                assert await live.next_data() == {"me": {"loginName": "sales1"}}
                assert await live.receive() == {"id": operation, "type": "complete"}

            operation = await live.subscribe(ME["query"])
            refused = await live.receive()

        assert refused["type"] == "error" and refused["id"] == operation
        assert refused["payload"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert refused["payload"][0]["extensions"]["retryAfter"] > 3500


async def test_the_limit_is_keyed_on_the_authenticated_principal(
    settings: Settings, clock: FrozenClock, database: Database
) -> None:
    async with edge_app(settings, clock) as (app, _):
        sales1 = await principal(app.state.services, "sales1")
    assert rate_key(sales1) == f"user:{sales1.user_id}"
    # An API key counts apart from its owner's sign-ins.
    assert rate_key(dataclasses.replace(sales1, api_key_id=7)) == "key:7"
