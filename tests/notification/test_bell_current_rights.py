"""Each operation on an open WebSocket runs with the subscriber's rights as they are now.

The connection authenticates once, in connection_init; a later subscribe must not run with
those rights once the user is deactivated, signs out everywhere or is moved to a position
with a narrower scope. Both delivery paths are covered: a plain selection is served by
projection (``direct/subscriptions.py``), one with a resolved field by Strawberry.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from httpx_ws import WebSocketDisconnect
from starlette.applications import Starlette

from tests.fixtures.graphql import position_ids
from tests.graphql_client import GraphQLClient
from tests.notification.test_bell_customer_events import CLAIM, public_customer, run
from tests.ws_client import LiveClient, disconnect_in, live_client

DIRECT = "subscription { customerEvents { type customerId ownerId } }"
RESOLVED = "subscription { customerEvents { type customerId ownerId customer { id } } }"
BOTH_PATHS = pytest.mark.parametrize("document", [DIRECT, RESOLVED], ids=["direct", "strawberry"])

DEACTIVATE = "mutation($id: Int!) { setUserActive(id: $id, active: false) { __typename } }"
CHANGE_PASSWORD = """mutation { changePassword(currentPassword: "demo-password",
  newPassword: "another-password-1") { __typename } }"""
MOVE = """mutation($id: Int!, $position: Int!) { updateUser(id: $id, input: {name: "Li Na",
  positionId: $position}) { __typename } }"""


async def _closed(
    app: Starlette, token: str | None, steps: Callable[[LiveClient], Awaitable[None]]
) -> tuple[int, str]:
    """Connect, run ``steps``, then read: the socket must be closed, nothing delivered.
    The close code and reason."""
    closed: WebSocketDisconnect | None = None
    try:
        async with live_client(app, token) as live:
            await steps(live)
            message = await live.receive()
            pytest.fail(f"the socket stayed open and sent {message}")
    except* WebSocketDisconnect as group:
        closed = disconnect_in(group)
    assert closed is not None
    return closed.code, closed.reason


async def _deactivated(admin: GraphQLClient, user: GraphQLClient) -> None:
    deactivated = await admin.data(DEACTIVATE, id=user.user_id)
    assert deactivated["setUserActive"]["__typename"] == "UserSuccess"


async def _password_changed(admin: GraphQLClient, user: GraphQLClient) -> None:
    changed = await user.data(CHANGE_PASSWORD)
    assert changed["changePassword"]["__typename"] == "LoginSuccess"


@BOTH_PATHS
@pytest.mark.parametrize(
    ("end_session", "why"),
    [
        pytest.param(_deactivated, "session ended (deactivated)", id="deactivated"),
        pytest.param(_password_changed, "password changed", id="password changed"),
    ],
)
async def test_a_subscribe_after_the_session_ended_closes_the_socket(
    app: Starlette,
    gql: GraphQLClient,
    admin: GraphQLClient,
    document: str,
    end_session: Callable[[GraphQLClient, GraphQLClient], Awaitable[None]],
    why: str,
) -> None:
    sales3 = await gql.as_user("sales3")
    sales2 = await gql.as_user("sales2")

    async def ended_then_subscribes(live: LiveClient) -> None:
        await end_session(admin, sales3)
        await live.subscribe(document)
        await public_customer(sales2, "Heard by everyone")  # an event it would be given

    code, reason = await _closed(app, sales3.token, ended_then_subscribes)
    assert code == 4403
    assert why in reason


@BOTH_PATHS
async def test_a_session_ended_under_a_live_subscription_closes_the_socket(
    app: Starlette, gql: GraphQLClient, admin: GraphQLClient, document: str
) -> None:
    sales3 = await gql.as_user("sales3")
    sales2 = await gql.as_user("sales2")

    async def subscribed_then_deactivated(live: LiveClient) -> None:
        await live.subscribe(document)
        await _listening(live, sales2)
        await _deactivated(admin, sales3)
        ended = await live.receive()
        if ended["type"] == "next":  # a result with the error, then complete
            assert (await live.receive())["type"] == "complete"
        errors = ended["payload"] if ended["type"] == "error" else ended["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"

    code, reason = await _closed(app, sales3.token, subscribed_then_deactivated)
    assert (code, "session ended (deactivated)" in reason) == (4403, True)


@BOTH_PATHS
async def test_a_subscribe_after_a_demotion_has_the_new_scope(
    app: Starlette,
    gql: GraphQLClient,
    admin: GraphQLClient,
    manager1: GraphQLClient,
    sales1: GraphQLClient,
    document: str,
) -> None:
    sales2 = await gql.as_user("sales2")
    lead = await public_customer(sales2, "A subordinate's lead")
    positions = await position_ids(admin)
    async with live_client(app, manager1.token) as live:
        moved = await admin.data(MOVE, id=manager1.user_id, position=positions["Sales staff"])
        assert moved["updateUser"]["__typename"] == "UserSuccess"
        await live.subscribe(document)
        markers = await _listening(live, sales2)

        # sales1's now: in a sales manager's scope, no longer in manager1's own-only one.
        claimed = (await run(sales1, CLAIM, id=lead["id"]))["customer"]
        assert claimed["ownerId"] == sales1.user_id
        last = await public_customer(sales2, "Heard by everyone")
        heard = await _event(live)
        while heard["customerId"] in markers:
            heard = await _event(live)
        assert heard["customerId"] == last["id"]  # the claim was not delivered


async def _event(live: LiveClient, within: float = 5.0) -> dict[str, Any]:
    message = await live.receive(within)
    assert message["type"] == "next", message
    found: dict[str, Any] = message["payload"]["data"]["customerEvents"]
    return found


async def _listening(live: LiveClient, sales2: GraphQLClient) -> set[int]:
    """Public customers, which everybody hears of, are created until the subscriber hears
    one: from then on its subscription listens. The markers' ids, to skip them later."""
    markers: set[int] = set()
    while True:
        markers.add((await public_customer(sales2, f"Marker {len(markers)}"))["id"])
        with contextlib.suppress(TimeoutError):
            assert (await _event(live, within=0.2))["customerId"] in markers
            return markers
