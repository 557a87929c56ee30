"""A graphql-transport-ws client over the ASGI app (or a real server), for live tests."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
from httpx_ws import AsyncWebSocketSession, WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from starlette.applications import Starlette

PROTOCOL = "graphql-transport-ws"


def disconnect_in(group: BaseExceptionGroup[WebSocketDisconnect]) -> WebSocketDisconnect:
    """The disconnect inside the (possibly nested) task-group exception."""
    error: BaseException = group
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    assert isinstance(error, WebSocketDisconnect)
    return error


class LiveClient:
    def __init__(self, ws: AsyncWebSocketSession) -> None:
        self.ws = ws
        self._ids = itertools.count(1)

    async def subscribe(self, query: str, **variables: Any) -> str:
        operation_id = str(next(self._ids))
        await self.ws.send_json(
            {
                "id": operation_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables},
            }
        )
        return operation_id

    async def receive(self, within: float = 5.0) -> dict[str, Any]:
        message: dict[str, Any] = await self.ws.receive_json(timeout=within)
        return message

    async def next_data(self, within: float = 5.0) -> dict[str, Any]:
        """The next `next` payload's data (pings and other frames skipped)."""
        while True:
            message = await self.receive(within)
            if message["type"] == "next":
                assert not message["payload"].get("errors"), message
                data: dict[str, Any] = message["payload"]["data"]
                return data
            if message["type"] in ("error", "complete"):
                raise AssertionError(f"subscription ended: {message}")

    async def nothing_within(self, seconds: float) -> bool:
        """True if no data arrives within ``seconds``."""
        try:
            message = await self.receive(seconds)
        except TimeoutError:
            return True
        return message["type"] not in ("next",)


@contextlib.asynccontextmanager
async def live_client(
    app: Starlette | None = None,
    token: str | None = None,
    url: str | None = None,
    init: dict[str, Any] | None = None,
) -> AsyncIterator[LiveClient]:
    """Connect and initialise (with ``{"token": token}``, or the ``init`` payload); must be
    entered in the test's own task (no fixture)."""
    if app is not None:
        client = httpx.AsyncClient(
            transport=ASGIWebSocketTransport(app=app), base_url="http://testserver"
        )
        target = "/graphql"
    else:
        assert url is not None
        client = httpx.AsyncClient()
        target = url
    connect = aconnect_ws(target, client, subprotocols=[PROTOCOL])  # type: ignore[var-annotated]
    async with client, connect as ws:
        payload = {"token": token} if init is None else init
        await ws.send_json({"type": "connection_init", "payload": payload})
        ack = await ws.receive_json(timeout=5)
        assert ack["type"] == "connection_ack", ack
        yield LiveClient(ws)
