"""WebSocket authentication: the token travels in the connection_init payload."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from httpx_ws import WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from starlette.applications import Starlette

from tests.graphql_client import GraphQLClient
from tests.ws_client import disconnect_in

PROTOCOL = "graphql-transport-ws"


async def _init(app: Starlette, payload: Any) -> dict[str, Any]:
    """Open a socket, send connection_init; the server's answer or {"closed": code}."""
    # The transport's task group must live in the test's own task, so no fixture here.
    transport = ASGIWebSocketTransport(app=app)
    close_code = None
    try:
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
            aconnect_ws("/graphql", client, subprotocols=[PROTOCOL]) as ws,  # type: ignore[var-annotated]
        ):
            await ws.send_json({"type": "connection_init", "payload": payload})
            message: dict[str, Any] = await ws.receive_json(timeout=5)
            return message
    except* WebSocketDisconnect as closed:
        close_code = disconnect_in(closed).code
    return {"closed": close_code}


async def test_a_valid_token_is_acknowledged(app: Starlette, sales1: GraphQLClient) -> None:
    assert await _init(app, {"token": sales1.token}) == {"type": "connection_ack"}
    bearer = {"Authorization": f"Bearer {sales1.token}"}
    assert await _init(app, bearer) == {"type": "connection_ack"}


@pytest.mark.parametrize("payload", [{}, {"token": "garbage"}, {"token": 42}])
async def test_connections_without_a_valid_token_are_closed_with_4403(
    app: Starlette, payload: dict[str, Any]
) -> None:
    assert await _init(app, payload) == {"closed": 4403}


async def test_a_revoked_token_is_refused(
    app: Starlette, sales1: GraphQLClient, admin: GraphQLClient
) -> None:
    await admin.data(
        "mutation($id: Int!) { setUserActive(id: $id, active: false) { __typename } }",
        id=sales1.user_id,
    )
    assert await _init(app, {"token": sales1.token}) == {"closed": 4403}
