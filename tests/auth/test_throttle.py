"""Sign-in throttling counts per login name and client, so that nobody can keep the owner out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from gql_crm.db.models import LoginThrottle
from gql_crm.services.auth import client_key
from tests.graphql_client import GraphQLClient

ME = "{ me { loginName } }"
CHANGE_PASSWORD = """
mutation($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new) {
    __typename
    ... on LoginSuccess { token }
    ... on Error { code field message }
    ... on TooManyAttemptsError { retryAt }
  }
}
"""

ClientAt = Callable[[str], Awaitable[GraphQLClient]]


@pytest.fixture
async def client_at(app: Starlette) -> AsyncIterator[ClientAt]:
    """Anonymous GraphQL clients, each calling from the given address."""
    async with AsyncExitStack() as stack:

        async def at(host: str) -> GraphQLClient:
            transport = httpx.ASGITransport(app=app, client=(host, 40000))
            http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
            return GraphQLClient(await stack.enter_async_context(http))

        yield at


async def test_an_attacker_cannot_lock_the_owner_out(
    client_at: ClientAt, clock: FrozenClock
) -> None:
    attacker, owner = await client_at("10.0.0.9"), await client_at("10.0.0.7")
    for _ in range(5):
        assert (await attacker.login("admin", "guess"))["code"] == "INVALID_CREDENTIALS"

    refused = await attacker.login("admin", "demo-password")
    assert refused["code"] == "TOO_MANY_ATTEMPTS"
    assert refused["field"] == "loginName"
    assert "2026-03-02T09:15:00" in refused["message"]
    assert (await owner.login("admin", "demo-password"))["__typename"] == "LoginSuccess"

    clock.advance(timedelta(minutes=14, seconds=59))
    assert (await attacker.login("admin", "demo-password"))["code"] == "TOO_MANY_ATTEMPTS"
    clock.advance(timedelta(seconds=1))
    assert (await attacker.login("admin", "demo-password"))["__typename"] == "LoginSuccess"


async def test_an_ipv6_client_is_counted_by_its_network(
    client_at: ClientAt,
) -> None:
    for suffix in range(1, 6):  # a fresh address in the same /64 for every guess
        guesser = await client_at(f"2001:db8:1:2::{suffix:x}")
        assert (await guesser.login("sales2", "guess"))["code"] == "INVALID_CREDENTIALS"
    same_network = await client_at("2001:db8:1:2:ffff::1")
    assert (await same_network.login("sales2", "demo-password"))["code"] == "TOO_MANY_ATTEMPTS"
    other_network = await client_at("2001:db8:1:3::1")
    assert (await other_network.login("sales2", "demo-password"))["__typename"] == "LoginSuccess"
    assert client_key("::ffff:10.0.0.9") == "10.0.0.9"
    assert client_key(None) == "unknown"


async def test_guessing_spread_over_many_clients_spares_clients_the_owner_used(
    client_at: ClientAt, clock: FrozenClock
) -> None:
    usual = await client_at("10.0.0.7")
    assert (await usual.login("admin", "demo-password"))["__typename"] == "LoginSuccess"
    clock.advance(timedelta(days=30))

    # Ten clients, each stopping at its own limit, together reach ten times that limit.
    for host in range(10):
        guesser = await client_at(f"10.1.0.{host}")
        for _ in range(5):
            assert (await guesser.login("admin", "guess"))["code"] == "INVALID_CREDENTIALS"
        clock.advance(timedelta(seconds=10))

    new_client = await client_at("10.0.0.8")
    refused = await new_client.login("admin", "demo-password")
    assert refused["code"] == "TOO_MANY_ATTEMPTS"
    assert "2026-04-01T09:16:30" in refused["message"], "when the last guesser's window ends"
    assert (await usual.login("admin", "demo-password"))["__typename"] == "LoginSuccess"
    # Only this login name is concerned.
    assert (await new_client.login("sales1", "demo-password"))["__typename"] == "LoginSuccess"

    clock.advance(timedelta(minutes=15))
    assert (await new_client.login("admin", "demo-password"))["__typename"] == "LoginSuccess"


async def test_change_password_is_throttled_like_sign_in(
    client_at: ClientAt, clock: FrozenClock
) -> None:
    stolen = await (await client_at("10.0.0.9")).as_user("sales1")
    for _ in range(5):
        wrong = (await stolen.data(CHANGE_PASSWORD, current="guess", new="new-password-1"))[
            "changePassword"
        ]
        assert wrong["code"] == "INVALID_INPUT"
        assert wrong["field"] == "currentPassword"

    for current in ("guess", "demo-password"):
        refused = (await stolen.data(CHANGE_PASSWORD, current=current, new="new-password-1"))[
            "changePassword"
        ]
        assert refused["__typename"] == "TooManyAttemptsError"
        assert refused["field"] == "currentPassword"
        assert refused["retryAt"] == "2026-03-02T09:15:00+00:00"

    # Nothing changed: the session still works and the password is still the old one; the
    # owner elsewhere is not held up, while this client may not sign in as sales1 either.
    assert (await stolen.data(ME))["me"]["loginName"] == "sales1"
    owner = await client_at("10.0.0.7")
    assert (await owner.login("sales1", "demo-password"))["__typename"] == "LoginSuccess"
    assert (await stolen.login("sales1", "demo-password"))["code"] == "TOO_MANY_ATTEMPTS"

    clock.advance(timedelta(minutes=15))
    changed = (await stolen.data(CHANGE_PASSWORD, current="demo-password", new="new-password-1"))[
        "changePassword"
    ]
    assert changed["__typename"] == "LoginSuccess"


async def _throttled(database: Database) -> set[tuple[str, str]]:
    async with database.reader() as session:
        rows = await session.execute(select(LoginThrottle.login_name, LoginThrottle.client))
    return {(login_name, client) for login_name, client in rows}


async def test_rows_that_no_longer_count_are_pruned(
    client_at: ClientAt, clock: FrozenClock, database: Database
) -> None:
    one, other = await client_at("10.0.0.1"), await client_at("10.0.0.2")
    await one.login("ghost", "guess")
    await one.login("sales1", "demo-password")  # remembered as a client sales1 signed in from
    for _ in range(5):
        await one.login("sales2", "guess")  # locked until 09:15
    assert await _throttled(database) == {
        ("ghost", "10.0.0.1"),
        ("sales1", "10.0.0.1"),
        ("sales2", "10.0.0.1"),
    }

    clock.advance(timedelta(minutes=15))
    await other.login("ghost", "guess")
    assert await _throttled(database) == {("sales1", "10.0.0.1"), ("ghost", "10.0.0.2")}

    clock.advance(timedelta(days=90))
    await other.login("ghost", "guess")
    assert await _throttled(database) == {("ghost", "10.0.0.2")}


async def test_concurrent_attempts_prune_each_others_stale_rows(
    client_at: ClientAt, clock: FrozenClock, database: Database
) -> None:
    clients = [await client_at(f"10.2.0.{n}") for n in range(8)]
    for n, client in enumerate(clients):
        await client.login(f"user{n}", "guess")
    await (await client_at("10.9.9.9")).login("ghost", "guess")
    clock.advance(timedelta(minutes=15))

    # Each attempt renews its own stale row and prunes the others': none waits for another.
    answers = await asyncio.gather(
        *(client.login(f"user{n}", "guess") for n, client in enumerate(clients))
    )
    assert [answer["code"] for answer in answers] == ["INVALID_CREDENTIALS"] * 8
    assert await _throttled(database) == {(f"user{n}", f"10.2.0.{n}") for n in range(8)}
