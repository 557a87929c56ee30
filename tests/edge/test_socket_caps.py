"""WebSocket connections are capped per user, and those not yet initialised per client
address; the excess is closed with 4429 and a reason."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from httpx_ws import AsyncWebSocketSession, WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from starlette.applications import Starlette

from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from gql_crm.settings import Settings
from tests.edge.conftest import edge_app
from tests.graphql_client import GraphQLClient
from tests.ws_client import PROTOCOL, disconnect_in


@contextlib.asynccontextmanager
async def _socket(app: Starlette) -> AsyncIterator[AsyncWebSocketSession]:
    """An open socket, not initialised (entered in the test's own task)."""
    transport = ASGIWebSocketTransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        aconnect_ws("/graphql", client, subprotocols=[PROTOCOL]) as ws,  # type: ignore[var-annotated]
    ):
        yield ws


async def _answer(ws: AsyncWebSocketSession, token: str | None = None) -> dict[str, Any]:
    """Send connection_init (unless no token is given, then only wait): the server's answer,
    or {"closed": code, "reason": reason}."""
    try:
        if token is not None:
            await ws.send_json({"type": "connection_init", "payload": {"token": token}})
        message: dict[str, Any] = await ws.receive_json(timeout=5)
        return message
    except WebSocketDisconnect as closed:
        return {"closed": closed.code, "reason": closed.reason}


async def _closed(app: Starlette, token: str | None) -> dict[str, Any]:
    """Open one more socket and see how the server answers it."""
    answer: dict[str, Any] = {}
    try:
        async with _socket(app) as ws:
            answer = await _answer(ws, token)
    except* WebSocketDisconnect as group:
        closed = disconnect_in(group)
        answer = {"closed": closed.code, "reason": closed.reason}
    return answer


async def test_sockets_waiting_for_connection_init_are_capped_per_address(
    settings: Settings, clock: FrozenClock, database: Database
) -> None:
    async with edge_app(settings, clock, max_pending_connections_per_client=2) as (app, http):
        sales1 = await GraphQLClient(http).as_user("sales1")
        async with _socket(app) as first, _socket(app):
            refused = await _closed(app, None)
            assert refused["closed"] == 4429
            assert "waiting to be initialised" in refused["reason"]

            # Once one of them is initialised, it no longer counts as waiting.
            assert await _answer(first, sales1.token) == {"type": "connection_ack"}
            assert await _closed(app, sales1.token) == {"type": "connection_ack"}


async def test_connections_are_capped_per_user(
    settings: Settings, clock: FrozenClock, database: Database
) -> None:
    async with edge_app(settings, clock, max_connections_per_user=2) as (app, http):
        anonymous = GraphQLClient(http)
        sales1 = await anonymous.as_user("sales1")
        sales2 = await anonymous.as_user("sales2")
        async with _socket(app) as first, _socket(app) as second:
            assert await _answer(first, sales1.token) == {"type": "connection_ack"}
            assert await _answer(second, sales1.token) == {"type": "connection_ack"}

            refused = await _closed(app, sales1.token)
            assert refused["closed"] == 4429
            assert "2 connections open already" in refused["reason"]
            # Someone else is not affected.
            assert await _closed(app, sales2.token) == {"type": "connection_ack"}
        # Closed connections no longer count.
        assert await _closed(app, sales1.token) == {"type": "connection_ack"}
