"""The customerEvents subscription: who hears of a customer's changes, and what they see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.applications import Starlette

from gql_crm.clock import FrozenClock
from gql_crm.services import pool_release
from gql_crm.services.unit_of_work import Services
from tests.fixtures.live import settle, subscribed
from tests.fixtures.users import uid
from tests.graphql_client import GraphQLClient
from tests.ws_client import LiveClient, live_client

CUSTOMER = "id name pool ownerId"
CREATE = (
    "mutation($name: String!) { r: createCustomer(input: {name: $name}) { __typename"
    " ... on CustomerSuccess { customer { " + CUSTOMER + " } }"
    " ... on Error { code message field } } }"
)
CLAIM = (
    "mutation($id: Int!) { r: claimCustomer(id: $id) { __typename"
    " ... on CustomerSuccess { customer { " + CUSTOMER + " } }"
    " ... on Error { code message field } } }"
)
TRANSFER = (
    "mutation($ids: [Int!]!, $to: Int!) {"
    " r: transferCustomers(customerIds: $ids, toUserId: $to) { __typename"
    " ... on CustomersSuccess { customers { " + CUSTOMER + " } }"
    " ... on Error { code message field } } }"
)
EVENTS = (
    "subscription($id: Int) { customerEvents(customerId: $id) {"
    " type customerId pool ownerId customer { " + CUSTOMER + " } } }"
)


async def run(client: GraphQLClient, mutation: str, **variables: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(mutation, **variables))["r"]
    assert result["__typename"] in ("CustomerSuccess", "CustomersSuccess"), result
    return result


async def public_customer(client: GraphQLClient, name: str) -> dict[str, Any]:
    customer: dict[str, Any] = (await run(client, CREATE, name=name))["customer"]
    assert (customer["pool"], customer["ownerId"]) == ("PUBLIC", None)
    return customer


async def event(live: LiveClient) -> dict[str, Any]:
    found: dict[str, Any] = (await live.next_data())["customerEvents"]
    return found


async def test_a_claim_is_heard_by_those_who_may_see_the_new_owner_only(
    app: Starlette,
    sales1: GraphQLClient,
    sales2: GraphQLClient,
    sales3: GraphQLClient,
    manager1: GraphQLClient,
) -> None:
    async with subscribed(app, EVENTS, sales3, manager1, sales1) as (outsider, manager, claimer):
        customer = await public_customer(sales2, "Acme Trading")
        created = {
            "type": "customer.created",
            "customerId": customer["id"],
            "pool": "PUBLIC",
            "ownerId": None,
            "customer": customer,
        }
        for live in (outsider, manager, claimer):  # a public customer: everybody may see it
            assert await event(live) == created

        claimed = (await run(sales1, CLAIM, id=customer["id"]))["customer"]
        assert (claimed["pool"], claimed["ownerId"]) == ("TEMPORARY", uid(sales1))
        expected = {
            "type": "customer.claimed",
            "customerId": customer["id"],
            "pool": "TEMPORARY",
            "ownerId": uid(sales1),
            "customer": claimed,
        }
        assert await event(manager) == expected  # sales1 is in manager1's scope
        assert await event(claimer) == expected
        assert await outsider.nothing_within(0.3)  # now sales1's: not sales3's business


async def test_customer_id_filters_the_events(
    app: Starlette, sales1: GraphQLClient, sales2: GraphQLClient, sales3: GraphQLClient
) -> None:
    first = await public_customer(sales2, "First Co")
    second = await public_customer(sales2, "Second Co")
    async with (
        live_client(app, sales3.token) as follower,
        live_client(app, sales1.token) as everything,
    ):
        await follower.subscribe(EVENTS, id=second["id"])
        await everything.subscribe(EVENTS)
        await settle()
        await run(sales1, CLAIM, id=first["id"])
        assert (await event(everything))["customerId"] == first["id"]
        assert await follower.nothing_within(0.2)
        third = await public_customer(sales2, "Third Co")
        assert (await event(everything))["customerId"] == third["id"]
        assert await follower.nothing_within(0.1)

        await run(sales3, CLAIM, id=second["id"])
        heard = await event(follower)
        assert (heard["type"], heard["customerId"], heard["ownerId"]) == (
            "customer.claimed",
            second["id"],
            uid(sales3),
        )
        assert heard["customer"]["id"] == second["id"]
        assert await follower.nothing_within(0.1)
        assert await everything.nothing_within(0.01)  # sales3's customer: not sales1's


async def test_the_customer_field_resolves_only_for_those_who_may_see_it_now(
    app: Starlette,
    sales1: GraphQLClient,
    sales2: GraphQLClient,
    sales3: GraphQLClient,
    manager1: GraphQLClient,
) -> None:
    customer = await public_customer(sales2, "Moving Co")
    await run(sales1, CLAIM, id=customer["id"])
    async with subscribed(app, EVENTS, manager1, sales3, sales2, id=customer["id"]) as (
        former_manager,
        new_owner,
        bystander,
    ):
        moved = (await run(sales1, TRANSFER, ids=[customer["id"]], to=uid(sales3)))["customers"]
        assert [(c["pool"], c["ownerId"]) for c in moved] == [("TEMPORARY", uid(sales3))]

        heard_by_manager = await event(former_manager)
        assert heard_by_manager == {
            "type": "customer.transferred",
            "customerId": customer["id"],
            "pool": "TEMPORARY",
            "ownerId": uid(sales3),
            "customer": None,  # it left manager1's scope
        }
        heard_by_owner = await event(new_owner)
        assert heard_by_owner["type"] == "customer.transferred"
        assert heard_by_owner["customer"] == {
            "id": customer["id"],
            "name": "Moving Co",
            "pool": "TEMPORARY",
            "ownerId": uid(sales3),
        }
        assert await bystander.nothing_within(0.2)


async def test_a_release_is_heard_by_everyone(
    app: Starlette,
    sales1: GraphQLClient,
    sales2: GraphQLClient,
    gql: GraphQLClient,
    services: Services,
    clock: FrozenClock,
) -> None:
    customer = await public_customer(sales2, "Fading Lead")
    claimed = (await run(sales1, CLAIM, id=customer["id"]))["customer"]
    assert claimed["pool"] == "TEMPORARY"
    clock.advance(timedelta(days=8))
    sales3 = await gql.as_user("sales3")  # a token of the new day
    async with subscribed(app, EVENTS, sales3) as [listener]:
        released = await pool_release.release_pool(services)
        assert released == [customer["id"]]
        heard = await event(listener)
        assert (heard["type"], heard["customerId"], heard["pool"], heard["ownerId"]) == (
            "customer.released",
            customer["id"],
            "PUBLIC",
            None,
        )
