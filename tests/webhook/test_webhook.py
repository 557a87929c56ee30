"""Webhooks: endpoints, events written in the transaction of the change, signed deliveries
(verified with the Standard Webhooks reference library), retries on the injectable clock,
disabling, replay, test events and the endpoint owner's scope."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import select, text
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from gql_crm.clock import FrozenClock
from gql_crm.db.models import Notification, Pool
from gql_crm.db.models.outbox import OutboxAttempt, OutboxMessage, OutboxStatus
from gql_crm.db.models.webhook import WebhookEndpoint
from gql_crm.services import outbox, webhook
from gql_crm.services.pool_release import announce_release
from gql_crm.services.unit_of_work import Services, UnitOfWork
from tests.fixtures.factories import count, make_customer, select_rows
from tests.fixtures.graphql import result
from tests.fixtures.receiver import Receiver, free_socket, receiving
from tests.fixtures.statements import count_statements
from tests.fixtures.users import user_id
from tests.graphql_client import GraphQLClient
from tests.pool.support import CLAIM

ERRORS = (
    "... on Error { code message field } ... on InvalidInputError { problems { field message } }"
)
ENDPOINT = (
    "id url eventTypes enabled disabledReason secret ownerId failingSince customerFilter "
    "previousSecretUntil"
)
CREATE = f"""mutation($input: WebhookEndpointInput!) {{ result: createWebhookEndpoint(
  input: $input) {{ __typename ... on WebhookEndpointSuccess {{ endpoint {{ {ENDPOINT} }} }}
  {ERRORS} }} }}"""
UPDATE = f"""mutation($id: Int!, $input: WebhookEndpointInput!) {{ result: updateWebhookEndpoint(
  id: $id, input: $input) {{ __typename ... on WebhookEndpointSuccess {{ endpoint {{
  {ENDPOINT} }} }} {ERRORS} }} }}"""
ROTATE = f"""mutation($id: Int!) {{ result: rotateWebhookSecret(id: $id) {{ __typename
  ... on WebhookEndpointSuccess {{ endpoint {{ {ENDPOINT} }} }} {ERRORS} }} }}"""
DELIVERY = "id webhookId eventType status attempts lastError endpointId payload"
TEST_EVENT = f"""mutation($id: Int!) {{ result: sendWebhookTestEvent(id: $id) {{ __typename
  ... on WebhookDeliverySuccess {{ delivery {{ {DELIVERY} }} }} {ERRORS} }} }}"""
REPLAY = f"""mutation($id: Int!) {{ result: replayWebhookDelivery(id: $id) {{ __typename
  ... on WebhookDeliverySuccess {{ delivery {{ {DELIVERY} }} }} {ERRORS} }} }}"""
DELIVERIES = f"""query($endpointId: Int) {{ webhookDeliveries(endpointId: $endpointId, first: 50)
  {{ edges {{ node {{ {DELIVERY} log {{ attempt delivered statusCode responseMs error
  nextAttemptAt }} }} }} }} }}"""


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as running:
        yield running


async def register(client: GraphQLClient, url: str, *types: str) -> dict[str, Any]:
    out = await result(client, CREATE, input={"url": url, "eventTypes": list(types)})
    assert out["__typename"] == "WebhookEndpointSuccess", out
    endpoint: dict[str, Any] = out["endpoint"]
    return endpoint


def verified(received: Any, secret: str) -> dict[str, Any]:
    """The body, once the reference library accepted its signature."""
    payload: dict[str, Any] = Webhook(secret).verify(received.body, received.headers)
    return payload


async def deliveries(services: Services) -> list[tuple[Any, ...]]:
    return await select_rows(
        services, OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.last_error,
        order_by=[OutboxMessage.id],
    )  # fmt: skip


async def test_a_claim_reaches_the_endpoint_signed_as_the_specification_says(
    admin: GraphQLClient, sales1: GraphQLClient, services: Services, receiver: Receiver
) -> None:
    endpoint = await register(admin, receiver.url(), "customer.claimed", "customer.created")
    assert endpoint["secret"].startswith("whsec_") and endpoint["enabled"]
    public = await make_customer(services, None, "Harbour Logistics")
    claimed = await result(sales1, CLAIM, id=public)
    assert claimed["__typename"] == "CustomerSuccess", claimed

    assert await outbox.deliver_due(services) == 1
    [received] = receiver.requests
    body = verified(received, endpoint["secret"])
    assert body["type"] == "customer.claimed"
    assert body["data"]["customerId"] == public
    assert body["data"]["ownerId"] == sales1.user_id
    assert received.headers["webhook-id"].startswith("msg_")
    # Any other secret, or a changed body, fails the reference verification.
    with pytest.raises(WebhookVerificationError):
        Webhook(webhook.new_secret()).verify(received.body, received.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(received.body + b" ", received.headers)

    listed = (await admin.data(DELIVERIES, endpointId=endpoint["id"]))["webhookDeliveries"]
    [node] = [edge["node"] for edge in listed["edges"]]
    assert node["status"] == "DELIVERED" and node["eventType"] == "customer.claimed"
    assert node["webhookId"] == received.headers["webhook-id"]
    [attempt] = node["log"]
    assert attempt["delivered"] and attempt["statusCode"] == 200
    assert attempt["responseMs"] >= 0 and attempt["nextAttemptAt"] is None
    assert await outbox.deliver_due(services) == 0  # delivered once, never again


async def test_a_rolled_back_change_sends_nothing(services: Services) -> None:
    owner = await user_id(services, "admin")
    async with UnitOfWork(services, None) as uow:
        await uow.session.execute(select(1))
    with pytest.raises(RuntimeError):
        async with UnitOfWork(services, None) as uow:
            uow.session.add(
                WebhookEndpoint(
                    owner_id=owner, url="http://127.0.0.1:9/x", event_types=["customer.released"],
                    secret=webhook.new_secret(), enabled=True, created_at=uow.now,
                    updated_at=uow.now,
                )
            )  # fmt: skip
            webhook.record(uow, "customer.released", {"customerIds": [1]}, None, public=True)
            raise RuntimeError("the change fails after the event was recorded")
    assert await count(services, OutboxMessage) == 0
    assert await count(services, WebhookEndpoint) == 0


async def test_the_event_row_commits_with_the_change(
    admin: GraphQLClient, services: Services, receiver: Receiver
) -> None:
    await register(admin, receiver.url(), "customer.released")
    async with UnitOfWork(services, None) as uow:
        webhook.record(uow, "customer.released", {"customerIds": [7]}, None, public=True)
        assert await count(services, OutboxMessage) == 0  # not before the commit
    assert await count(services, OutboxMessage) == 1


async def test_failures_are_retried_on_schedule_under_the_same_webhook_id(
    admin: GraphQLClient, services: Services, receiver: Receiver, clock: FrozenClock
) -> None:
    endpoint = await register(admin, receiver.url(), "customer.created")
    receiver.status["/hook"] = 503
    await make_customer_through(admin)
    assert await outbox.deliver_due(services) == 1
    [(status, attempts, error)] = await deliveries(services)
    assert (status, attempts, error) == (OutboxStatus.PENDING, 1, "HTTP 503")

    assert await outbox.deliver_due(services) == 0  # not due before its delay
    clock.advance(timedelta(seconds=5))
    receiver.status["/hook"] = 204
    assert await outbox.deliver_due(services) == 1
    assert [s for s, *_ in await deliveries(services)] == [OutboxStatus.DELIVERED]
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert verified(second, endpoint["secret"])["type"] == "customer.created"
    log = await select_rows(
        services, OutboxAttempt.attempt, OutboxAttempt.status_code, OutboxAttempt.delivered,
        order_by=[OutboxAttempt.id],
    )  # fmt: skip
    assert log == [(1, 503, False), (2, 204, True)]
    [failing_since] = await select_rows(services, WebhookEndpoint.failing_since)
    assert failing_since == (None,)  # a success clears it


async def make_customer_through(client: GraphQLClient, name: str = "Acme Steel") -> int:
    made = await client.data(
        """mutation($name: String!) { createCustomer(input: {name: $name, maturityId: 1}) {
        ... on CustomerSuccess { customer { id } } } }""",
        name=name,
    )
    return int(made["createCustomer"]["customer"]["id"])


async def test_410_disables_the_endpoint_and_tells_its_owner(
    manager1: GraphQLClient, services: Services, receiver: Receiver
) -> None:
    endpoint = await register(manager1, receiver.url("/gone"), "customer.created")
    receiver.status["/gone"] = 410
    await make_customer_through(manager1)
    await outbox.deliver_due(services)
    [(status, attempts, _)] = await deliveries(services)
    assert (status, attempts) == (OutboxStatus.FAILED, 1)  # never retried
    [(enabled, reason)] = await select_rows(
        services, WebhookEndpoint.enabled, WebhookEndpoint.disabled_reason
    )
    assert not enabled and "410" in reason
    notes = await select_rows(
        services, Notification.user_id, Notification.kind, Notification.link_id
    )
    assert notes == [(manager1.user_id, "webhook.disabled", endpoint["id"])]
    # A disabled endpoint gets nothing more, until it is switched on again.
    await make_customer_through(manager1, "Beta")
    assert await count(services, OutboxMessage) == 1
    again = {"url": receiver.url("/gone"), "eventTypes": ["customer.created"], "enabled": True}
    on = await result(manager1, UPDATE, id=endpoint["id"], input=again)
    assert on["endpoint"]["enabled"] and on["endpoint"]["disabledReason"] is None


async def test_days_of_failures_give_up_then_disable_the_endpoint(
    admin: GraphQLClient, services: Services, clock: FrozenClock
) -> None:
    closed = free_socket()  # bound, not listening: every connection is refused
    url = f"http://127.0.0.1:{closed.getsockname()[1]}/hook"
    try:
        await register(admin, url, "customer.created")
        await make_customer_through(admin)
        started = clock.now()
        for delay in webhook.RETRY_DELAYS:
            assert await outbox.deliver_due(services) == 1
            clock.advance(delay)
        assert await outbox.deliver_due(services) == 1  # the tenth and last attempt
        [(status, attempts, error)] = await deliveries(services)
        assert (status, attempts) == (OutboxStatus.FAILED, 10)
        assert "Connect" in error
        assert timedelta(days=3) < clock.now() - started < timedelta(days=4)
        [(enabled,)] = await select_rows(services, WebhookEndpoint.enabled)
        assert enabled  # three days of failures: not yet

        clock.advance(timedelta(days=2))  # (sign-ins have expired: the event comes directly)
        async with UnitOfWork(services, None) as uow:
            webhook.record(uow, "customer.created", {"name": "Beta"}, None, public=True)
        await outbox.deliver_due(services)
        [(enabled, reason)] = await select_rows(
            services, WebhookEndpoint.enabled, WebhookEndpoint.disabled_reason
        )
        assert not enabled and "every delivery failed since" in reason
        assert await count(services, Notification) == 1
    finally:
        closed.close()


async def test_test_events_replays_and_secret_rotation(
    admin: GraphQLClient, services: Services, receiver: Receiver, clock: FrozenClock
) -> None:
    endpoint = await register(admin, receiver.url(), "order.signed")
    assert endpoint["previousSecretUntil"] is None
    sent = await result(admin, TEST_EVENT, id=endpoint["id"])
    assert sent["delivery"]["status"] == "PENDING", sent
    await outbox.deliver_due(services)
    [first] = receiver.requests
    assert verified(first, endpoint["secret"])["type"] == "webhook.test"
    assert " " not in first.headers["webhook-signature"]  # one secret, one signature

    rotated = (await result(admin, ROTATE, id=endpoint["id"]))["endpoint"]
    assert rotated["secret"] != endpoint["secret"]
    overlap_ends = clock.now() + webhook.SECRET_OVERLAP
    assert rotated["previousSecretUntil"] == overlap_ends.isoformat()
    replayed = await result(admin, REPLAY, id=sent["delivery"]["id"])
    assert replayed["delivery"]["status"] == "PENDING"
    await outbox.deliver_due(services)
    _, second = receiver.requests
    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    # During the overlap a receiver holding either secret verifies the delivery.
    assert verified(second, rotated["secret"]) == orjson.loads(first.body)
    assert verified(second, endpoint["secret"]) == orjson.loads(first.body)
    assert len(second.headers["webhook-signature"].split(" ")) == 2
    with pytest.raises(WebhookVerificationError):
        verified(second, webhook.new_secret())

    # Once it is over, only the new secret signs.
    clock.advance(webhook.SECRET_OVERLAP)
    admin = await admin.as_user("admin")  # the clock moved past the sign-in
    await result(admin, REPLAY, id=sent["delivery"]["id"])
    await outbox.deliver_due(services)
    third = receiver.requests[2]
    assert verified(third, rotated["secret"])["type"] == "webhook.test"
    with pytest.raises(WebhookVerificationError):
        verified(third, endpoint["secret"])


async def test_an_endpoint_hears_only_of_records_in_its_owners_scope(
    admin: GraphQLClient,
    manager1: GraphQLClient,
    sales1: GraphQLClient,
    sales3: GraphQLClient,
    services: Services,
    receiver: Receiver,
) -> None:
    await register(manager1, receiver.url("/manager"), "customer.created")
    await register(admin, receiver.url("/admin"), "customer.created")
    await make_customer_through(sales1, "In Dept 1")
    await make_customer_through(sales3, "In Dept 2")
    await outbox.deliver_due(services)
    names = {path: sorted(orjson.loads(r.body)["data"]["name"] for r in receiver.at(path))
             for path in ("/manager", "/admin")}  # fmt: skip
    assert names == {"/manager": ["In Dept 1"], "/admin": ["In Dept 1", "In Dept 2"]}
    # A deliveries list shows only the caller's endpoints.
    mine = (await manager1.data(DELIVERIES))["webhookDeliveries"]["edges"]
    assert len(mine) == 1


async def test_bad_endpoints_are_refused_and_nothing_is_written(
    admin: GraphQLClient, services: Services
) -> None:
    bad = {"url": "ftp://example.com/x", "eventTypes": ["customer.nothing"]}
    out = await result(admin, CREATE, input=bad)
    assert out["__typename"] == "InvalidInputError"
    fields = sorted(p["field"] for p in out["problems"])
    assert fields == ["eventTypes", "url"]
    assert await count(services, WebhookEndpoint) == 0


async def test_a_slow_endpoint_does_not_hold_the_others(
    admin: GraphQLClient, services: Services, receiver: Receiver
) -> None:
    await register(admin, receiver.url("/slow"), "customer.created")
    await register(admin, receiver.url("/fast"), "customer.created")
    fast_arrived = asyncio.Event()
    receiver.held["/slow"] = fast_arrived  # answers only once the fast one has arrived
    receiver.on_request = lambda r: fast_arrived.set() if r.path == "/fast" else None
    await make_customer_through(admin)
    assert await outbox.deliver_due(services) == 2
    assert [s for s, *_ in await deliveries(services)] == [OutboxStatus.DELIVERED] * 2


async def test_a_claim_takes_its_limit_when_the_table_looks_empty_to_the_planner(
    admin: GraphQLClient, services: Services, receiver: Receiver
) -> None:
    """Statistics taken while the outbox was empty (as on a new database) plan the claim as
    a nested loop, where a locking subquery would run again for every row updated."""
    if services.database.dialect == "postgresql":
        async with services.database.writer() as session, session.begin():
            await session.execute(text("ANALYZE outbox"))
    await register(admin, receiver.url(), "customer.released")
    async with UnitOfWork(services, None) as uow:
        for n in range(60):
            webhook.record(uow, "customer.released", {"customerIds": [n]}, None, public=True)
    assert len(await outbox.claim(services, 25)) == 25
    statuses = [status for status, *_ in await deliveries(services)]
    assert statuses.count(OutboxStatus.SENDING) == 25


async def test_two_workers_never_claim_the_same_message(
    admin: GraphQLClient, services: Services, receiver: Receiver, clock: FrozenClock
) -> None:
    await register(admin, receiver.url(), "customer.released")
    async with UnitOfWork(services, None) as uow:
        for n in range(60):
            webhook.record(uow, "customer.released", {"customerIds": [n]}, None, public=True)
    batches = await asyncio.gather(*(outbox.claim(services, 25) for _ in range(4)))
    ids = [message.id for batch in batches for message in batch]
    assert len(ids) == len(set(ids)) == 60

    # A worker that died holding messages: once its lease ends they go out again, under the
    # same ids, and the dead worker's late outcome changes nothing.
    clock.advance(timedelta(seconds=services.settings.outbox_lease_seconds))
    assert await outbox.deliver_due(services) == 60
    keys = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(keys) == len(set(keys)) == 60
    stale = next(message for batch in batches for message in batch)
    await outbox.record(services, [(stale, outbox.Outcome(False, error="late"))])
    statuses = {s for s, *_ in await deliveries(services)}
    assert statuses == {OutboxStatus.DELIVERED}
    assert await count(services, OutboxAttempt) == 60


async def test_released_customers_reach_every_endpoint_that_wants_them(
    manager1: GraphQLClient, services: Services, receiver: Receiver
) -> None:
    await register(manager1, receiver.url(), "customer.released")
    customer = await make_customer(services, "sales1", "Expiring", Pool.PRIVATE)
    async with UnitOfWork(services, None) as uow:
        announce_release(uow, [customer])
    await outbox.deliver_due(services)
    [received] = receiver.requests
    assert orjson.loads(received.body)["data"]["customerIds"] == [customer]


async def test_a_burst_settles_in_as_many_statements_whatever_its_size(
    admin: GraphQLClient, services: Services, receiver: Receiver
) -> None:
    await register(admin, receiver.url(), "customer.released")
    counts = []
    for size in (3, 30):
        async with UnitOfWork(services, None) as uow:
            for n in range(size):
                webhook.record(uow, "customer.released", {"customerIds": [n]}, None, public=True)
        async with count_statements(services) as counted:
            assert await outbox.deliver_due(services) == size
        counts.append(len(counted))
    assert counts[0] == counts[1], counts
    counted.assert_at_most(6)  # claim, endpoints, delivered, attempts, claim (none), ...
