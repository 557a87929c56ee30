"""An endpoint's customer filter: events about customers the filter does not match are never
queued; the filter is the customer list's own, read as the endpoint's owner reads it when the
change commits, and it is refused, all of its problems at once, when it names what cannot be."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from gql_crm.db.models import Pool
from gql_crm.db.models.outbox import OutboxMessage
from gql_crm.db.models.webhook import WebhookEndpoint
from gql_crm.services import outbox, webhook
from gql_crm.services.pool_release import announce_release
from gql_crm.services.unit_of_work import Services, UnitOfWork
from tests.fixtures.factories import count, make_customer, select_rows
from tests.fixtures.graphql import option_ids, result
from tests.fixtures.receiver import Receiver, receiving
from tests.fixtures.users import user_id
from tests.graphql_client import GraphQLClient
from tests.webhook.test_webhook import CREATE, UPDATE

CREATE_CUSTOMER = """mutation($input: CustomerInput!) { createCustomer(input: $input) {
  ... on CustomerSuccess { customer { id } } } }"""


@pytest.fixture
async def receiver() -> Any:
    async with receiving() as running:
        yield running


async def vip(client: GraphQLClient) -> tuple[int, int]:
    """The VIP and the normal category's option ids."""
    categories = (await option_ids(client))["CATEGORY"]
    return categories["VIP customer"], categories["Normal customer"]


async def customer(client: GraphQLClient, name: str, category_id: int) -> int:
    made = await client.data(
        CREATE_CUSTOMER, input={"name": name, "maturityId": 1, "categoryId": category_id}
    )
    return int(made["createCustomer"]["customer"]["id"])


def received(receiver: Receiver) -> list[tuple[str, Any]]:
    bodies = [orjson.loads(r.body) for r in receiver.requests]
    return sorted((b["type"], b["data"].get("customerId") or b["data"].get("customerIds"))
                  for b in bodies)  # fmt: skip


async def test_only_events_about_matching_customers_are_queued(
    admin: GraphQLClient, sales1: GraphQLClient, services: Services, receiver: Receiver
) -> None:
    vip_id, normal_id = await vip(admin)
    types = ["customer.created", "customer.updated", "order.signed", "payment.recorded"]
    made = await result(
        admin, CREATE,
        input={"url": receiver.url(), "eventTypes": types,
               "customerFilter": {"categoryId": vip_id, "view": "ALL"}},
    )  # fmt: skip
    assert made["__typename"] == "WebhookEndpointSuccess", made
    # As the input would give it again: field names, enum values by name, defaults left out.
    assert made["endpoint"]["customerFilter"] == {"categoryId": vip_id}

    big = await customer(sales1, "Big Spender", vip_id)
    small = await customer(sales1, "Small Shop", normal_id)
    assert await count(services, OutboxMessage) == 1  # nothing queued about the small one
    # An order and a payment count as their customer's.
    async with UnitOfWork(services, None) as uow:
        for about in (big, small):
            webhook.record(uow, "order.signed", {"orderId": about, "customerId": about}, None,
                           public=True)  # fmt: skip
            webhook.record(uow, "payment.recorded", {"orderId": about, "customerId": about},
                           None, public=True)  # fmt: skip
    # The filter sees the customer as the change leaves it: the small shop becomes a VIP.
    promoted = await sales1.data(
        """mutation($id: Int!, $c: Int!) { updateCustomer(id: $id, input: {categoryId: $c}) {
        __typename } }""",
        id=small,
        c=vip_id,
    )
    assert promoted["updateCustomer"]["__typename"] == "CustomerSuccess", promoted

    await outbox.deliver_due(services)
    assert received(receiver) == [
        ("customer.created", big),
        ("customer.updated", small),
        ("order.signed", big),
        ("payment.recorded", big),
    ]


async def test_a_batch_names_only_the_matching_customers(
    manager1: GraphQLClient, services: Services, receiver: Receiver
) -> None:
    await result(
        manager1, CREATE,
        input={"url": receiver.url("/public"), "eventTypes": ["customer.released"],
               "customerFilter": {"pool": "PUBLIC", "search": "Harbour"}},
    )  # fmt: skip
    await result(manager1, CREATE, input={"url": receiver.url("/all"),
                                          "eventTypes": ["customer.released"]})  # fmt: skip
    harbour = await make_customer(services, None, "Harbour Logistics", Pool.PUBLIC)
    other = await make_customer(services, None, "Inland Freight", Pool.PUBLIC)
    async with UnitOfWork(services, None) as uow:
        announce_release(uow, [harbour, other])
    async with UnitOfWork(services, None) as uow:
        announce_release(uow, [other])  # matches nothing: nothing queued for /public
    assert await count(services, OutboxMessage) == 3
    await outbox.deliver_due(services)
    ids = {path: [orjson.loads(r.body)["data"]["customerIds"] for r in receiver.at(path)]
           for path in ("/public", "/all")}  # fmt: skip
    assert ids == {"/public": [[harbour]], "/all": [[harbour, other], [other]]}


async def test_the_filter_reads_as_the_endpoint_owner_lists_customers(
    manager1: GraphQLClient, sales1: GraphQLClient, services: Services, receiver: Receiver
) -> None:
    """MINE is the endpoint owner's: a manager's 'mine' excludes their team's customers."""
    made = await result(
        manager1, CREATE,
        input={"url": receiver.url(), "eventTypes": ["customer.created"],
               "customerFilter": {"view": "MINE"}},
    )  # fmt: skip
    assert made["endpoint"]["customerFilter"] == {"view": "MINE"}
    _, normal_id = await vip(manager1)
    await customer(sales1, "Team's", normal_id)
    own = await customer(manager1, "Manager's own", normal_id)
    await outbox.deliver_due(services)
    assert received(receiver) == [("customer.created", own)]


async def test_a_bad_filter_is_refused_whole_and_nothing_changes(
    admin: GraphQLClient, manager1: GraphQLClient, services: Services
) -> None:
    vip_id, _ = await vip(admin)
    admin_id = await user_id(services, "admin")
    source_id = (await option_ids(admin))["SOURCE"]["Referral"]
    bad = {
        "url": "http://127.0.0.1:9/hook",
        "eventTypes": ["customer.created"],
        # a source option as a category, a maturity that does not exist, an owner outside
        # the manager's department
        "customerFilter": {"categoryId": source_id, "maturityId": 9999, "ownerId": admin_id},
    }
    out = await result(manager1, CREATE, input=bad)
    assert out["__typename"] == "InvalidInputError", out
    assert sorted(p["field"] for p in out["problems"]) == [
        "customerFilter.categoryId", "customerFilter.maturityId", "customerFilter.ownerId",
    ]  # fmt: skip
    assert await count(services, WebhookEndpoint) == 0

    good = {**bad, "customerFilter": {"categoryId": vip_id}}
    endpoint = (await result(manager1, CREATE, input=good))["endpoint"]
    out = await result(manager1, UPDATE, id=endpoint["id"], input=bad)
    assert out["__typename"] == "InvalidInputError", out
    assert await select_rows(services, WebhookEndpoint.customer_filter) == [
        ({"category_id": vip_id},)
    ]
    # A filter that narrows nothing is no filter.
    cleared = {**bad, "customerFilter": {"view": "ALL"}}
    out = await result(manager1, UPDATE, id=endpoint["id"], input=cleared)
    assert out["endpoint"]["customerFilter"] is None, out
