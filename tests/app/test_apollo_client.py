"""Apollo Client, as an integrator's application uses it: automatic persisted queries (the
hash alone once the server knows the document) and subscriptions over graphql-ws."""

from __future__ import annotations

import json

from starlette.applications import Starlette

from tests.fixtures.live_server import listening
from tests.fixtures.node import needs_node, node
from tests.graphql_client import GraphQLClient


@needs_node
async def test_apollo_client_with_persisted_queries_and_a_subscription(
    app: Starlette, gql: GraphQLClient
) -> None:
    token = (await gql.as_user("sales1")).token
    admin = (await gql.as_user("admin")).token
    assert token and admin
    async with listening(app) as base:
        report = json.loads(await node("node", "apollo.mjs", f"{base}/graphql", token, admin))

    assert report["answers"] == [{"me": {"__typename": "User", "loginName": "sales1"}}] * 2
    assert report["heard"] == "Fire drill"
    me = [request for request in report["requests"] if request["hash"]][:3]
    # Unknown hash -> PersistedQueryNotFound (a request error: 400 in the GraphQL response
    # media type Apollo accepts) -> the document with its hash -> the hash alone.
    assert [(r["document"], r["status"]) for r in me] == [(False, 400), (True, 200), (False, 200)]
    assert len({r["hash"] for r in me}) == 1
