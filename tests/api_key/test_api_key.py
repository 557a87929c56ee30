"""API keys: shown once, stored as a digest, acting as their owner within the owner's current
rights on HTTP and WebSocket, refused like a bad token once revoked or expired or when the
owner may no longer act; service accounts that only have keys."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from httpx_ws import WebSocketDisconnect
from sqlalchemy import select
from starlette.applications import Starlette

from gql_crm.clock import FrozenClock
from gql_crm.db.models import OperationLog
from gql_crm.db.models.api_key import ApiKey
from gql_crm.services.unit_of_work import Services
from tests.conftest import START
from tests.fixtures.factories import count, make_customer
from tests.fixtures.graphql import ERRORS
from tests.fixtures.statements import count_statements, counted_data
from tests.graphql_client import GraphQLClient
from tests.notification.test_bell_customer_events import public_customer
from tests.ws_client import LiveClient, disconnect_in, live_client

KEY = "id name prefix userId permissions expiresAt lastUsedAt revokedAt user { loginName }"
CREATE = f"""mutation($input: ApiKeyInput!, $userId: Int) {{
  result: createApiKey(input: $input, userId: $userId) {{ __typename
  ... on CreateApiKeySuccess {{ secret apiKey {{ {KEY} }} }} {ERRORS} }} }}"""
REVOKE = f"""mutation($id: Int!) {{ result: revokeApiKey(id: $id) {{ __typename
  ... on ApiKeySuccess {{ apiKey {{ {KEY} }} }} {ERRORS} }} }}"""
KEYS = f"""query($userId: Int, $revoked: Boolean! = false) {{
  apiKeys(userId: $userId, includeRevoked: $revoked, first: 100) {{
  totalCount edges {{ node {{ {KEY} }} }} }} }}"""
SERVICE_ACCOUNT = f"""mutation($input: ServiceAccountInput!) {{
  result: createServiceAccount(input: $input) {{ __typename
  ... on UserSuccess {{ user {{ id loginName isServiceAccount }} }} {ERRORS} }} }}"""
ME = "{ me { id loginName } }"
CUSTOMER_COUNT = "{ customers(first: 1) { totalCount } }"
PHONES = "{ users(first: 100) { edges { node { loginName phone } } } }"
POSITIONS = "{ positions { id name } }"
MOVE = """mutation($id: Int!, $position: Int!) { updateUser(id: $id, input: {name: "Li Na",
  positionId: $position}) { __typename } }"""
DEACTIVATE = "mutation($id: Int!) { setUserActive(id: $id, active: false) { __typename } }"
DAILY_REPORTS = '{ dailyReports(from: "2026-03-01", to: "2026-03-02") { totalCount } }'
EVENTS = "subscription { customerEvents { type customerId } }"
VIEW = ["customer:view"]


async def result(client: GraphQLClient, query: str, **variables: Any) -> dict[str, Any]:
    data: dict[str, Any] = (await client.data(query, **variables))["result"]
    return data


async def create_key(
    client: GraphQLClient, permissions: list[str], user_id: int | None = None, **input: Any
) -> dict[str, Any]:
    """A new key's answer (``secret`` and ``apiKey``), which must succeed."""
    made = await result(
        client, CREATE, input={"name": "Sync", "permissions": permissions, **input}, userId=user_id
    )
    assert made["__typename"] == "CreateApiKeySuccess", made
    return made


def as_key(client: GraphQLClient, made: dict[str, Any]) -> GraphQLClient:
    return GraphQLClient(client.http, made["secret"])


async def unauthenticated(client: GraphQLClient) -> list[dict[str, Any]]:
    """The errors of a read that needs a signed-in caller, without their locations."""
    body = await client.execute(ME)
    assert body.get("data") is None, body
    return [{k: v for k, v in e.items() if k != "locations"} for e in body["errors"]]


async def refused_connection(app: Starlette, init: dict[str, Any]) -> tuple[int, str]:
    """The close code and reason of a connection_init that is refused."""
    closed: WebSocketDisconnect | None = None
    try:
        async with live_client(app, init=init) as live:
            pytest.fail(f"acknowledged: {live}")
    except* WebSocketDisconnect as group:
        closed = disconnect_in(group)
    assert closed is not None
    return closed.code, closed.reason


async def test_the_secret_is_shown_once_and_stored_as_a_digest(
    manager1: GraphQLClient, admin: GraphQLClient, services: Services
) -> None:
    made = await create_key(manager1, [*VIEW, "customer:view"], expiresAt="2026-06-01T00:00Z")
    key, secret = made["apiKey"], made["secret"]
    assert secret.startswith(f"{key['prefix']}_") and key["prefix"].startswith("gqlcrm_")
    assert (key["permissions"], key["user"]["loginName"]) == (VIEW, "manager1")
    assert key["expiresAt"] == "2026-06-01T00:00:00+00:00"

    listed = await manager1.data(KEYS)
    assert [edge["node"] for edge in listed["apiKeys"]["edges"]] == [key]
    assert secret[len(key["prefix"]) + 1 :] not in str(listed)
    fields = await manager1.data('{ __type(name: "ApiKey") { fields { name } } }')
    assert not {"secret", "secretDigest"} & {f["name"] for f in fields["__type"]["fields"]}
    async with services.database.reader() as session:
        row = await session.get_one(ApiKey, key["id"])
        entries = list(await session.scalars(select(OperationLog)))
    assert secret[len(key["prefix"]) + 1 :] not in (row.secret_digest, str(row.__dict__))
    [logged] = [e for e in entries if e.entity_type == "api_key"]
    assert (logged.action, logged.changes["prefix"]) == ("create", [None, key["prefix"]])
    assert not any(secret in str(e.changes) or row.secret_digest in str(e.changes) for e in entries)

    revoked = await result(manager1, REVOKE, id=key["id"])
    assert revoked["apiKey"]["revokedAt"] == START.isoformat()
    assert (await manager1.data(KEYS))["apiKeys"]["totalCount"] == 0
    assert (await manager1.data(KEYS, revoked=True))["apiKeys"]["totalCount"] == 1
    log = await admin.data(
        """{ operationLog(entityType: "api_key", first: 10) {
          edges { node { action changes actor { loginName } } } } }"""
    )
    actions = [
        (e["node"]["action"], e["node"]["actor"]["loginName"]) for e in log["operationLog"]["edges"]
    ]
    assert sorted(actions) == [("create", "manager1"), ("revoke", "manager1")]


async def test_a_key_acts_as_its_owner_with_no_more_than_its_permissions(
    manager1: GraphQLClient,
) -> None:
    key = as_key(manager1, await create_key(manager1, VIEW))
    assert (await key.data(ME))["me"]["loginName"] == "manager1"
    # The owner's data scope ...
    assert await key.data(CUSTOMER_COUNT) == await manager1.data(CUSTOMER_COUNT)
    # ... but only the key's permissions: manager1 may read daily reports, the key may not,
    assert await key.error_codes(DAILY_REPORTS) == ["FORBIDDEN"]
    assert await manager1.error_codes(DAILY_REPORTS) == []
    # and without customer:view_contact_details in the key, others' phones are masked.
    phones = {
        e["node"]["loginName"]: e["node"]["phone"]
        for e in (await key.data(PHONES))["users"]["edges"]
    }
    unmasked = await manager1.data(PHONES)
    assert phones["sales1"] == "138****3333"
    assert {e["node"]["loginName"]: e["node"]["phone"] for e in unmasked["users"]["edges"]}[
        "sales1"
    ] == "13822223333"
    # A key cannot manage keys, whatever its owner may do.
    assert await key.error_codes(KEYS) == ["FORBIDDEN"]


async def test_a_key_beyond_its_owners_rights_is_refused_without_a_write(
    manager1: GraphQLClient, sales1: GraphQLClient, services: Services
) -> None:
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"permissions": ["admin:edit"]}, "permissions", "you do not hold: admin:edit"),
        ({"permissions": ["apikey:manage"]}, "permissions", "cannot hold 'apikey:manage'"),
        ({"permissions": ["customer:fly"]}, "permissions", "unknown permission codes"),
        (
            {"permissions": VIEW, "expiresAt": START.isoformat()},
            "expiresAt",
            "must be in the future",
        ),
        ({"permissions": VIEW, "name": "  "}, "name", "must not be empty"),
        ({"permissions": VIEW, "expiresAt": "9999-01-01T00:00Z"}, "expiresAt", "between"),
    ]
    for given, field, message in cases:
        refused = await result(manager1, CREATE, input={"name": "Sync", **given})
        problems = {p["field"]: p["message"] for p in refused["problems"]}
        assert message in problems[field], refused
    assert await sales1.error_codes(CREATE, input={"name": "Sync", "permissions": VIEW}) == [
        "FORBIDDEN"
    ]
    assert await count(services, ApiKey) == 0


async def test_a_demoted_owner_demotes_the_key(
    admin: GraphQLClient, manager1: GraphQLClient, services: Services
) -> None:
    await make_customer(services, "sales1")  # in a sales manager's scope
    key = as_key(manager1, await create_key(manager1, [*VIEW, "statistics:view"]))
    assert await key.error_codes(DAILY_REPORTS) == []
    assert (await key.data(CUSTOMER_COUNT))["customers"]["totalCount"] == 1
    positions = {p["name"]: p["id"] for p in (await admin.data(POSITIONS))["positions"]}
    moved = await admin.data(MOVE, id=manager1.user_id, position=positions["Sales staff"])
    assert moved["updateUser"]["__typename"] == "UserSuccess"

    assert await key.error_codes(DAILY_REPORTS) == ["FORBIDDEN"]
    # Own records only now, as for the owner's own login.
    after = await key.data(CUSTOMER_COUNT)
    assert after == await manager1.data(CUSTOMER_COUNT)
    assert after["customers"]["totalCount"] == 0


async def test_revoked_expired_and_orphaned_keys_get_the_bad_token_error(
    app: Starlette,
    admin: GraphQLClient,
    manager1: GraphQLClient,
    gql: GraphQLClient,
    clock: FrozenClock,
) -> None:
    bad_token = await unauthenticated(GraphQLClient(gql.http, "nonsense"))
    bad_key = "gqlcrm_0123456789abcdef_" + "x" * 43
    assert await unauthenticated(GraphQLClient(gql.http, bad_key)) == bad_token
    refusal = await refused_connection(app, {"token": "nonsense"})
    assert refusal[0] == 4403

    revoked = await create_key(manager1, VIEW)
    expiring = await create_key(manager1, VIEW, expiresAt=(START + timedelta(hours=1)).isoformat())
    orphaned = await create_key(manager1, VIEW, expiresAt=(START + timedelta(days=9)).isoformat())
    for made in (revoked, expiring, orphaned):
        assert (await as_key(manager1, made).data(ME))["me"]["loginName"] == "manager1"
    wrong_secret = revoked["secret"][:-4] + "abcd"
    assert await unauthenticated(GraphQLClient(gql.http, wrong_secret)) == bad_token

    await result(manager1, REVOKE, id=revoked["apiKey"]["id"])
    clock.advance(timedelta(hours=1))
    assert (await admin.data(DEACTIVATE, id=manager1.user_id))["setUserActive"][
        "__typename"
    ] == "UserSuccess"
    for made in (revoked, expiring, orphaned):
        assert await unauthenticated(as_key(manager1, made)) == bad_token
        assert await refused_connection(app, {"token": made["secret"]}) == refusal


async def test_a_key_on_the_websocket_is_checked_again_per_subscribe(
    app: Starlette, manager1: GraphQLClient, sales2: GraphQLClient
) -> None:
    made = await create_key(manager1, VIEW)
    for init in ({"token": made["secret"]}, {"Authorization": f"Bearer {made['secret']}"}):
        async with live_client(app, init=init) as live:
            await live.subscribe(EVENTS)
            heard = await _heard(live, sales2)
            assert heard["type"] == "customer.created"

    closed: WebSocketDisconnect | None = None
    try:
        async with live_client(app, made["secret"]) as live:
            await live.subscribe(EVENTS)
            await _heard(live, sales2)
            await result(manager1, REVOKE, id=made["apiKey"]["id"])
            ended = await live.receive()  # the live subscription ends: subscribe again
            assert ended["type"] == "next" and ended["payload"]["errors"], ended
            assert (await live.receive())["type"] == "complete"
            await live.subscribe(EVENTS)  # checks the key again: refused, socket closed
            message = await live.receive()
            pytest.fail(f"the socket stayed open and sent {message}")
    except* WebSocketDisconnect as group:
        closed = disconnect_in(group)
    assert closed is not None
    assert (closed.code, closed.reason) == (
        4403,
        "Your session ended (API key revoked): sign in again.",
    )


MARKERS = itertools.count()


async def _heard(live: LiveClient, sales2: GraphQLClient) -> dict[str, Any]:
    """Public customers are created until the subscriber hears of one (every listener hears
    those); the event heard."""
    for _ in range(20):
        await public_customer(sales2, f"Marker {next(MARKERS)}")  # names stay unique
        try:
            message = await live.receive(0.5)
        except TimeoutError:
            continue
        assert message["type"] == "next", message
        heard: dict[str, Any] = message["payload"]["data"]["customerEvents"]
        return heard
    raise AssertionError("no event heard")


async def test_an_admin_gives_a_service_account_its_key(
    admin: GraphQLClient, manager1: GraphQLClient, gql: GraphQLClient, services: Services
) -> None:
    positions = {p["name"]: p["id"] for p in (await admin.data(POSITIONS))["positions"]}
    account = await result(
        admin,
        SERVICE_ACCOUNT,
        input={"loginName": "erp-sync", "name": "ERP sync", "positionId": positions["Sales staff"]},
    )
    assert account["user"]["isServiceAccount"] is True, account
    account_id = account["user"]["id"]
    # No password signs it in, and none can be set.
    assert (await gql.login("erp-sync", "demo-password"))["__typename"] == "InvalidCredentialsError"
    reset = await admin.data(
        """mutation($id: Int!) { resetPassword(id: $id, newPassword: "a-new-password-1") {
          __typename ... on Error { code } } }""",
        id=account_id,
    )
    assert reset["resetPassword"]["code"] == "CONFLICT"

    # Only an administrator gives keys to others, and only to service accounts.
    assert await manager1.error_codes(
        CREATE, input={"name": "ERP", "permissions": VIEW}, userId=account_id
    ) == ["FORBIDDEN"]
    human = await result(
        admin, CREATE, input={"name": "ERP", "permissions": VIEW}, userId=manager1.user_id
    )
    assert "not an active service account" in human["problems"][0]["message"]
    beyond = await result(
        admin, CREATE, input={"name": "ERP", "permissions": ["admin:edit"]}, userId=account_id
    )
    assert f"user {account_id} does not hold: admin:edit" in beyond["problems"][0]["message"]
    assert await count(services, ApiKey) == 0

    made = await create_key(admin, VIEW, user_id=account_id)
    assert (await as_key(admin, made).data(ME))["me"]["loginName"] == "erp-sync"
    # The administrator lists and revokes it; others do not see it.
    listed = await admin.data(KEYS, userId=account_id)
    assert [e["node"]["prefix"] for e in listed["apiKeys"]["edges"]] == [made["apiKey"]["prefix"]]
    assert (await manager1.data(KEYS))["apiKeys"]["totalCount"] == 0
    assert (await result(manager1, REVOKE, id=made["apiKey"]["id"]))["code"] == "NOT_FOUND"
    assert (await result(admin, REVOKE, id=made["apiKey"]["id"]))["apiKey"]["revokedAt"]


async def test_last_used_at_is_written_at_most_once_a_minute(
    manager1: GraphQLClient, clock: FrozenClock, services: Services
) -> None:
    made = await create_key(manager1, VIEW)
    assert made["apiKey"]["lastUsedAt"] is None
    key = as_key(manager1, made)

    async def used() -> tuple[str | None, int]:
        async with count_statements(services) as counted:
            await key.data(ME)
        writes = sum(s.lstrip().upper().startswith("UPDATE API_KEYS") for s in counted.statements)
        listed = (await manager1.data(KEYS))["apiKeys"]["edges"][0]["node"]["lastUsedAt"]
        return listed, writes

    assert await used() == (START.isoformat(), 1)
    clock.advance(timedelta(seconds=59))
    assert await used() == (START.isoformat(), 0)
    assert await used() == (START.isoformat(), 0)
    clock.advance(timedelta(seconds=1))
    assert await used() == ((START + timedelta(minutes=1)).isoformat(), 1)


async def test_the_list_costs_the_same_statements_for_few_and_many_keys(
    admin: GraphQLClient, manager1: GraphQLClient, services: Services
) -> None:
    await create_key(manager1, VIEW)
    _, few = await counted_data(admin, services, KEYS)
    for _ in range(6):
        await create_key(manager1, VIEW)
        await create_key(admin, VIEW)
    data, many = await counted_data(admin, services, KEYS)
    assert data["apiKeys"]["totalCount"] == 13
    assert {e["node"]["user"]["loginName"] for e in data["apiKeys"]["edges"]} == {
        "admin",
        "manager1",
    }
    assert len(few) == len(many)
    many.assert_at_most(5)
