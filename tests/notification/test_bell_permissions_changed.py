"""A live subscription ends when its subscriber's permissions or scope change."""

from __future__ import annotations

from starlette.applications import Starlette

from tests.fixtures.graphql import position_ids
from tests.fixtures.live import subscribed
from tests.graphql_client import GraphQLClient

CUSTOMER_EVENTS = "subscription { customerEvents { type customerId } }"
MOVE = """mutation($id: Int!, $position: Int!) { updateUser(id: $id, input: {name: "Wang Wei",
  positionId: $position}) { __typename } }"""


async def test_a_position_change_ends_live_subscriptions(
    app: Starlette, admin: GraphQLClient, sales1: GraphQLClient
) -> None:
    positions = await position_ids(admin)
    async with subscribed(app, CUSTOMER_EVENTS, sales1) as [live]:
        moved = await admin.data(MOVE, id=sales1.user_id, position=positions["Sales manager"])
        assert moved["updateUser"]["__typename"] == "UserSuccess"
        message = await live.receive()
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "PERMISSIONS_CHANGED"
    # The token itself still works: subscribing again picks up the new scope.
    assert (await sales1.data("{ me { position { name } } }"))["me"]["position"]["name"] == (
        "Sales manager"
    )
