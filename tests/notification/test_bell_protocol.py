"""Bad input over graphql-transport-ws: the offending socket is closed with the protocol's
code (or gets an `error` for the one operation), and other connections carry on."""

from __future__ import annotations

import json

import httpx
from httpx_ws import WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from starlette.applications import Starlette

from tests.fixtures.live import settle, subscribed
from tests.graphql_client import GraphQLClient
from tests.ws_client import LiveClient, disconnect_in, live_client

PROTOCOL = "graphql-transport-ws"
LIVE_BELL = "subscription { notifications { notification { kind title linkId } } }"
WORK_LOG = """mutation($leader: Int!, $content: String!) {
  r: submitWorkLog(leaderId: $leader, logDate: "2026-03-02", content: $content) {
    __typename ... on WorkLogSuccess { workLog { id } } } }"""


async def _closed_by(app: Starlette, token: str | None, frames: list[str]) -> int | None:
    """Open a socket, send connection_init (unless ``token`` is None) and then ``frames``;
    the code the server closed it with (None if it stayed open for a second)."""
    # The transport's task group must live in the test's own task, so no fixture here.
    transport = ASGIWebSocketTransport(app=app)
    code: int | None = None
    try:
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
            aconnect_ws("/graphql", client, subprotocols=[PROTOCOL]) as ws,  # type: ignore[var-annotated]
        ):
            if token is not None:
                await ws.send_json({"type": "connection_init", "payload": {"token": token}})
                ack = await ws.receive_json(timeout=5)
                assert ack == {"type": "connection_ack"}, ack
            for frame in frames:
                await ws.send_text(frame)
            await ws.receive_text(timeout=1)
    except* WebSocketDisconnect as closed:
        code = disconnect_in(closed).code
    except* TimeoutError:
        code = None
    return code


async def _hears(live: LiveClient, log_id: int) -> None:
    push = (await live.next_data())["notifications"]
    assert push["notification"]["kind"] == "work_log"
    assert push["notification"]["linkId"] == log_id


async def _submit(author: GraphQLClient, leader: GraphQLClient, content: str) -> int:
    assert leader.user_id is not None
    result = (await author.data(WORK_LOG, leader=leader.user_id, content=content))["r"]
    assert result["__typename"] == "WorkLogSuccess", result
    log_id: int = result["workLog"]["id"]
    return log_id


SUBSCRIBE = json.dumps({"id": "1", "type": "subscribe", "payload": {"query": LIVE_BELL}})


async def test_bad_frames_close_only_the_offending_socket_and_others_keep_receiving(
    app: Starlette, sales1: GraphQLClient, manager1: GraphQLClient
) -> None:
    assert manager1.token is not None and sales1.token is not None
    async with subscribed(app, LIVE_BELL, manager1) as [bystander]:
        await _hears(bystander, await _submit(sales1, manager1, "before"))

        cases: list[tuple[str, str | None, list[str], int]] = [
            ("malformed JSON", manager1.token, ["{not json"], 4400),
            ("unknown message type", manager1.token, ['{"type": "gossip"}'], 4400),
            ("a subscribe without an id", manager1.token, ['{"type": "subscribe"}'], 4400),
            ("subscribe before connection_init", None, [SUBSCRIBE], 4401),
            ("a second connection_init", manager1.token, ['{"type": "connection_init"}'], 4429),
        ]
        for n, (name, token, frames, code) in enumerate(cases):
            assert await _closed_by(app, token, frames) == code, name
            await _hears(bystander, await _submit(sales1, manager1, f"during {n}"))

        assert (
            await _closed_by(
                app, None, ['{"type": "connection_init", "payload": {"token": "forged"}}']
            )
            == 4403
        )
        assert await _closed_by(app, None, ['{"type": "connection_init", "payload": 42}']) == 4400
        await _hears(bystander, await _submit(sales1, manager1, "after"))
        assert await bystander.nothing_within(0.1)


async def test_a_subscription_to_an_unknown_field_gets_an_error_and_the_socket_stays_usable(
    app: Starlette, sales1: GraphQLClient, manager1: GraphQLClient
) -> None:
    async with (
        live_client(app, manager1.token) as live,
        live_client(app, sales1.token) as bystander,
    ):
        await bystander.subscribe(LIVE_BELL)
        await live.ws.send_json(
            {"id": "bad", "type": "subscribe", "payload": {"query": "subscription { gossip }"}}
        )
        error = await live.receive()
        assert error["type"] == "error"
        assert error["id"] == "bad"
        [problem] = error["payload"]
        assert "Cannot query field 'gossip'" in problem["message"]
        assert problem["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"

        # the same id may be used again: the failed operation is gone
        await live.ws.send_json({"id": "bad", "type": "subscribe", "payload": {"query": LIVE_BELL}})
        await settle()
        log_id = await _submit(sales1, manager1, "one")
        message = await live.receive()
        assert message["type"] == "next"
        assert message["id"] == "bad"
        assert message["payload"]["data"]["notifications"]["notification"]["linkId"] == log_id

        await _submit(manager1, sales1, "two")  # the other client heard its own event
        assert (await bystander.next_data())["notifications"]["notification"]["kind"] == "work_log"
        assert await live.nothing_within(0.1)
