"""Live delivery over a real graphql-transport-ws connection."""

from __future__ import annotations

from datetime import timedelta

from starlette.applications import Starlette

from gql_crm.clock import FrozenClock
from tests.fixtures.live import subscribed
from tests.graphql_client import GraphQLClient

NOTIFICATIONS = """subscription { notifications {
  notification { id kind title linkType linkId category }
  unreadCounts { personal system total } } }"""
APPLY = """mutation($approver: Int!) { applyForApproval(input: {type: LEAVE, title: "Two days off",
  approverIds: [$approver], startsOn: "2026-03-10", endsOn: "2026-03-11"}) {
  __typename ... on ApprovalSuccess { approval { id status } } ... on Error { code message } } }"""


async def test_the_bell_rings_for_the_approver_and_nobody_else(
    app: Starlette, gql: GraphQLClient, manager1: GraphQLClient
) -> None:
    sales1 = await gql.as_user("sales1")
    sales3 = await gql.as_user("sales3")
    async with subscribed(app, NOTIFICATIONS, manager1, sales3) as (approver, bystander):
        applied = await sales1.data(APPLY, approver=manager1.user_id)
        approval_id = applied["applyForApproval"]["approval"]["id"]
        push = (await approver.next_data())["notifications"]
        assert push["notification"]["kind"] == "approval"
        assert push["notification"]["linkId"] == approval_id
        assert push["unreadCounts"] == {"personal": 1, "system": 0, "total": 1}
        assert await bystander.nothing_within(0.3)


async def test_an_announcement_reaches_every_subscriber_once(
    app: Starlette, admin: GraphQLClient, gql: GraphQLClient
) -> None:
    sales = [await gql.as_user(name) for name in ("sales1", "sales2", "sales3")]
    async with subscribed(app, NOTIFICATIONS, *sales) as (a, b, c):
        created = await admin.data(
            """mutation { createAnnouncement(publish: true, input: {title: "Office closed Friday",
            content: "Maintenance."}) { __typename } }"""
        )
        assert created["createAnnouncement"]["__typename"] == "AnnouncementSuccess"
        for client in (a, b, c):
            push = (await client.next_data())["notifications"]
            assert push["notification"]["title"] == "Office closed Friday"
            assert push["notification"]["category"] == "SYSTEM"
            assert push["unreadCounts"]["system"] == 1
            assert await client.nothing_within(0.2)


async def test_deactivation_ends_a_live_subscription(
    app: Starlette, admin: GraphQLClient, sales1: GraphQLClient
) -> None:
    async with subscribed(app, NOTIFICATIONS, sales1) as [live]:
        await admin.data(
            "mutation($id: Int!) { setUserActive(id: $id, active: false) { __typename } }",
            id=sales1.user_id,
        )
        message = await live.receive()
        assert message["type"] in ("error", "next"), message
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_token_expiry_ends_a_live_subscription(
    app: Starlette, sales1: GraphQLClient, clock: FrozenClock
) -> None:
    async with subscribed(app, NOTIFICATIONS, sales1) as [live]:
        clock.advance(timedelta(hours=13))
        message = await live.receive(within=8)
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert "expired" in errors[0]["message"]
