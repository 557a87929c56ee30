"""Releases and reclaim bans (F1.4, F10) with the frozen clock: who falls back when, and who
may claim the customer again when."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from gql_crm.clock import FrozenClock
from gql_crm.db.models import BanReason, Customer, CustomerKind, Pool, TemporaryOrigin, User
from gql_crm.services import pool
from gql_crm.services.errors import ClaimBanned
from gql_crm.services.pool import due_for_release, release_forecast
from gql_crm.services.setting import get_settings
from gql_crm.services.unit_of_work import Services, UnitOfWork
from tests.fixtures.graphql import maturity_ids
from tests.fixtures.users import principal, uid
from tests.graphql_client import GraphQLClient
from tests.pool.support import (
    bans,
    claim,
    create,
    follow_up,
    log_actions,
    release,
    snapshot,
    transfer,
    visible,
    when,
)

ENTERED_WHY = (
    "it fell back to the public pool from your temporary pool (entered by you) without a follow-up"
)
CLAIMED_WHY = "it fell back to the public pool after you claimed it without following it up"


def banned(reason: str, until: datetime | None, why: str) -> dict[str, Any]:
    end = "never again" if until is None else f"until {until.isoformat(timespec='seconds')}"
    return {
        "__typename": "ClaimBannedError",
        "code": "CLAIM_BANNED",
        "message": f"You may not claim this customer {end}: {why}.",
        "field": "id",
        "reason": reason,
        "until": None if until is None else until.isoformat(),
    }


async def _released_to_public(
    admin: GraphQLClient, customer_id: int, former_owner: int, from_pool: str, at: datetime
) -> None:
    found = await visible(admin, customer_id)
    assert (found["pool"], found["ownerId"], found["temporaryOrigin"]) == ("PUBLIC", None, None)
    assert found["poolRelease"] is None
    assert when(found["poolEnteredAt"]) == at
    assert found["operationLog"]["nodes"][0] == {
        "action": "release",
        "changes": {"pool": [from_pool, "public"], "ownerId": [former_owner, None]},
        "actorId": None,
    }


async def _ban_holds_until(
    gql: GraphQLClient,
    clock: FrozenClock,
    services: Services,
    customer_id: int,
    expected: dict[str, Any],
    until: datetime,
) -> None:
    """Refused right after the release and one second before the end; allowed after it."""
    sales1 = await gql.as_user("sales1")
    before = await snapshot(services)
    assert await claim(sales1, customer_id) == expected
    assert await snapshot(services) == before

    clock.set(until - timedelta(seconds=1))
    sales1 = await gql.as_user("sales1")
    before = await snapshot(services)
    assert await claim(sales1, customer_id) == expected
    assert await snapshot(services) == before

    clock.set(until + timedelta(seconds=1))
    sales1 = await gql.as_user("sales1")
    out = await claim(sales1, customer_id)
    assert out["__typename"] == "CustomerSuccess", out
    assert (out["customer"]["ownerId"], out["customer"]["temporaryOrigin"]) == (
        sales1.user_id,
        "CLAIMED",
    )


async def _entered(sales1: GraphQLClient, admin: GraphQLClient) -> dict[str, Any]:
    """Entered by sales1 with a temporary-pool grade."""
    grades = await maturity_ids(sales1)
    return await create(sales1, "Blue River Foods", grades["E"])


async def _claimed(sales1: GraphQLClient, admin: GraphQLClient) -> dict[str, Any]:
    """Entered into the public pool, then claimed by sales1."""
    public = await create(admin, "Harbour Logistics")
    customer: dict[str, Any] = (await claim(sales1, public["id"]))["customer"]
    return customer


@pytest.mark.parametrize(
    ("arrive", "origin", "ban", "why", "history"),
    [
        pytest.param(
            _entered,
            "ENTERED",
            ("temporary_entered", 30),
            ENTERED_WHY,
            ["create", "release", "claim"],
            id="entered: a 30-day ban",
        ),
        pytest.param(
            _claimed,
            "CLAIMED",
            ("public_claimed", 15),
            CLAIMED_WHY,
            ["create", "claim", "release", "claim"],
            id="claimed: a 15-day ban",
        ),
    ],
)
async def test_a_temporary_customer_falls_back_with_the_ban_of_its_origin(
    admin: GraphQLClient,
    sales1: GraphQLClient,
    gql: GraphQLClient,
    clock: FrozenClock,
    services: Services,
    arrive: Callable[[GraphQLClient, GraphQLClient], Awaitable[dict[str, Any]]],
    origin: str,
    ban: tuple[str, int],
    why: str,
    history: list[str],
) -> None:
    customer = await arrive(sales1, admin)
    assert customer["temporaryOrigin"] == origin

    clock.advance(timedelta(days=7, seconds=1))
    released_at = clock.now()
    assert await release(services) == [customer["id"]]

    admin = await gql.as_user("admin")
    await _released_to_public(admin, customer["id"], uid(sales1), "temporary", released_at)
    reason, days = ban
    until = released_at + timedelta(days=days)
    assert await bans(services, customer["id"]) == [(sales1.user_id, reason, until)]
    expected = banned(reason, until, why)
    await _ban_holds_until(gql, clock, services, customer["id"], expected, until)
    admin = await gql.as_user("admin")
    assert log_actions(await visible(admin, customer["id"])) == history


async def test_private_customer_without_contact_falls_back_for_good(
    sales1: GraphQLClient, gql: GraphQLClient, clock: FrozenClock, services: Services
) -> None:
    grades = await maturity_ids(sales1)
    customer = await create(sales1, "Acme Steel", grades["A"])
    cid = customer["id"]

    clock.advance(timedelta(days=30, seconds=1))
    released_at = clock.now()
    assert await release(services) == [cid]
    admin = await gql.as_user("admin")
    await _released_to_public(admin, cid, uid(sales1), "private", released_at)
    assert await bans(services, cid) == [(sales1.user_id, "private_no_contact", None)]

    sales1 = await gql.as_user("sales1")
    before = await snapshot(services)
    out = await claim(sales1, cid)
    assert out["__typename"] == "ClaimBannedError", out
    assert (out["code"], out["reason"], out["until"]) == (
        "CLAIM_BANNED",
        "private_no_contact",
        None,
    )
    assert "it fell back from your private pool without contact" in out["message"]
    assert await snapshot(services) == before

    # Anyone else may claim it at once; handed back to the pool, it stays barred to sales1.
    sales2 = await gql.as_user("sales2")
    out = await claim(sales2, cid)
    assert out["__typename"] == "CustomerSuccess", out
    assert (await transfer(sales2, [cid], to_pool="PUBLIC"))["__typename"] == "CustomersSuccess"

    # Ten years on (service level: see test_tokens_work_when_the_clock_is_ahead_of_the_wall).
    clock.advance(timedelta(days=3653))
    assert await release(services) == []
    before = await snapshot(services)
    with pytest.raises(ClaimBanned) as refused:
        async with UnitOfWork(services, await principal(services, "sales1")) as uow:
            await pool.claim(uow, await get_settings(uow.session), cid)
    assert (refused.value.reason, refused.value.until) == (BanReason.PRIVATE_NO_CONTACT, None)
    assert await snapshot(services) == before
    async with services.database.reader() as session:
        assert await session.scalar(select(Customer.pool).where(Customer.id == cid)) is Pool.PUBLIC


async def test_permanent_ban_message_says_never(
    sales1: GraphQLClient, gql: GraphQLClient, clock: FrozenClock, services: Services
) -> None:
    grades = await maturity_ids(sales1)
    customer = await create(sales1, "Acme Steel", grades["A"])
    clock.advance(timedelta(days=31))
    assert await release(services) == [customer["id"]]
    out = await claim(await gql.as_user("sales1"), customer["id"])
    assert out["__typename"] == "ClaimBannedError", out
    assert out["message"].startswith("You may never claim this customer again: "), out["message"]


async def test_release_happens_exactly_at_the_limit(
    sales1: GraphQLClient, gql: GraphQLClient, clock: FrozenClock, services: Services
) -> None:
    grades = await maturity_ids(sales1)
    start = clock.now()
    idle = await create(sales1, "Idle Temporary", grades["E"])
    followed = await create(sales1, "Followed Temporary", grades["E"])
    private = await create(sales1, "Idle Private", grades["A"])

    # A follow-up one day before the limit restarts the 7 days from the follow-up.
    clock.set(start + timedelta(days=6))
    sales1 = await gql.as_user("sales1")
    assert (await follow_up(sales1, followed["id"]))["__typename"] == "FollowUpSuccess"
    found = await visible(sales1, followed["id"])
    assert when(found["poolRelease"]["at"]) == start + timedelta(days=13)

    for moment, due in (
        (start + timedelta(days=7) - timedelta(seconds=1), []),
        (start + timedelta(days=7), [idle["id"]]),
        (start + timedelta(days=13) - timedelta(seconds=1), []),
        (start + timedelta(days=13), [followed["id"]]),
        (start + timedelta(days=30) - timedelta(seconds=1), []),
        (start + timedelta(days=30), [private["id"]]),
    ):
        clock.set(moment)
        assert await release(services) == due, moment


async def test_closed_won_customers_never_fall_back(
    sales1: GraphQLClient, gql: GraphQLClient, clock: FrozenClock, services: Services
) -> None:
    grades = await maturity_ids(sales1)
    ids = [
        (await create(sales1, "Won Private", grades["A"]))["id"],
        (await create(sales1, "Won Temporary", grades["E"]))["id"],
    ]
    async with services.database.writer() as session, session.begin():
        await session.execute(
            update(Customer)
            .where(Customer.id.in_(ids))
            .values(closed_won_at=clock.now() + timedelta(hours=1))
        )
    for cid in ids:
        assert (await visible(sales1, cid))["poolRelease"] is None

    clock.advance(timedelta(days=3653))
    before = await snapshot(services)
    assert await release(services) == []
    assert await snapshot(services) == before
    async with services.database.reader() as session:
        rows = await session.execute(
            select(Customer.pool, Customer.owner_id)
            .where(Customer.id.in_(ids))
            .order_by(Customer.id)
        )
        assert [tuple(row) for row in rows] == [
            (Pool.PRIVATE, uid(sales1)),
            (Pool.TEMPORARY, uid(sales1)),
        ]
    assert await bans(services, ids[0]) == []


async def test_tokens_work_when_the_clock_is_ahead_of_the_wall(
    gql: GraphQLClient, clock: FrozenClock
) -> None:
    clock.advance(timedelta(days=3653))
    sales1 = await gql.as_user("sales1")  # login itself succeeds
    assert await sales1.error_codes("{ me { id } }") == []


async def test_release_is_idempotent_and_matches_the_forecast(
    sales1: GraphQLClient, gql: GraphQLClient, clock: FrozenClock, services: Services
) -> None:
    grades = await maturity_ids(sales1)
    clock.advance(timedelta(seconds=1234, microseconds=567891))
    temporary = await create(sales1, "Odd Time Temporary", grades["D"])
    private = await create(sales1, "Odd Time Private", grades["C"])
    clock.advance(timedelta(days=2, seconds=77, microseconds=3))
    sales1 = await gql.as_user("sales1")
    assert (await follow_up(sales1, private["id"]))["__typename"] == "FollowUpSuccess"

    forecast = {
        cid: when((await visible(sales1, cid))["poolRelease"]["at"])
        for cid in (temporary["id"], private["id"])
    }
    for cid, moment in sorted(forecast.items(), key=lambda item: item[1]):
        clock.set(moment - timedelta(microseconds=1))
        assert await release(services) == []
        clock.set(moment)
        assert await release(services) == [cid]
        released = await snapshot(services)
        assert await release(services) == []  # a second run at the same time
        assert await snapshot(services) == released
        assert len(await bans(services, cid)) == 1


async def test_forecast_and_release_query_state_the_same_rule(
    services: Services, clock: FrozenClock
) -> None:
    """Service level: for customers in every state, ``release_forecast(c).at <= now`` holds
    exactly for the rows ``due_for_release(now)`` selects, at and just before every forecast."""
    start = clock.now()
    offsets = [timedelta(0), timedelta(days=3, microseconds=7), timedelta(days=9, hours=5)]
    async with services.database.writer() as session, session.begin():
        owner = await session.scalar(select(User.id).where(User.login_name == "sales1"))
        assert owner is not None
        for pool in Pool:
            owned = pool in (Pool.PRIVATE, Pool.TEMPORARY)
            for entered in offsets:
                for followed in (None, *offsets):
                    for closed in (False, True):
                        session.add(
                            Customer(
                                kind=CustomerKind.ENTERPRISE,
                                name=f"{pool} {entered} {followed} {closed}",
                                owner_id=owner if owned else None,
                                pool=pool,
                                temporary_origin=(
                                    TemporaryOrigin.ENTERED if pool is Pool.TEMPORARY else None
                                ),
                                pool_entered_at=start + entered,
                                last_follow_up_at=None if followed is None else start + followed,
                                closed_won_at=start if closed else None,
                                created_at=start,
                                updated_at=start,
                            )
                        )
    async with services.database.reader() as session:
        settings = await get_settings(session)
        customers = list(await session.scalars(select(Customer)))
        forecasts = {c.id: release_forecast(c, settings) for c in customers}
        assert sum(1 for f in forecasts.values() if f is not None) == 2 * 3 * 4  # open, owned
        moments = sorted(
            {
                f.at + delta
                for f in forecasts.values()
                if f is not None
                for delta in (-timedelta(microseconds=1), timedelta(0))
            }
        )
        for now in moments:
            selected = set(
                await session.scalars(select(Customer.id).where(due_for_release(settings, now)))
            )
            expected = {cid for cid, f in forecasts.items() if f is not None and f.at <= now}
            assert selected == expected, now


async def test_a_banned_owner_cannot_receive_the_customer_by_transfer(
    sales1: GraphQLClient, gql: GraphQLClient, clock: FrozenClock, services: Services
) -> None:
    """A ban holds however the customer moves: a colleague (or a manager) who claims it may
    not hand it to the banned former owner, not even years later for a permanent ban."""
    grades = await maturity_ids(sales1)
    cid = (await create(sales1, "Acme Steel", grades["A"]))["id"]
    clock.advance(timedelta(days=30, seconds=1))
    assert await release(services) == [cid]
    refusal = {
        "customerId": cid,
        "reason": "the recipient may never take this customer back (reclaim ban)",
    }

    for login in ("sales2", "admin"):
        colleague = await gql.as_user(login)
        assert (await claim(colleague, cid))["__typename"] == "CustomerSuccess"
        before = await snapshot(services)
        out = await transfer(colleague, [cid], to_user_id=uid(sales1))
        assert out["__typename"] == "BatchRefusedError", out
        assert out["failures"] == [refusal]
        assert await snapshot(services) == before
        assert (await transfer(colleague, [cid], to_pool="PUBLIC"))["__typename"] == (
            "CustomersSuccess"
        )
    clock.advance(timedelta(days=3653))
    manager = await gql.as_user("manager1")
    assert (await claim(manager, cid))["__typename"] == "CustomerSuccess"
    out = await transfer(manager, [cid], to_user_id=uid(sales1))
    assert out["failures"] == [refusal]


async def test_a_timed_ban_bars_transfers_until_it_ends(
    sales1: GraphQLClient, gql: GraphQLClient, clock: FrozenClock, services: Services
) -> None:
    grades = await maturity_ids(sales1)
    cid = (await create(sales1, "Blue River Foods", grades["E"]))["id"]
    clock.advance(timedelta(days=7, seconds=1))
    assert await release(services) == [cid]
    [(_, _, until)] = await bans(services, cid)
    assert until is not None
    sales2 = await gql.as_user("sales2")
    assert (await claim(sales2, cid))["__typename"] == "CustomerSuccess"
    out = await transfer(sales2, [cid], to_user_id=uid(sales1))
    assert out["failures"] == [
        {
            "customerId": cid,
            "reason": "the recipient may not take this customer back until "
            f"{until.isoformat(timespec='seconds')} (reclaim ban)",
        }
    ]
    clock.set(until + timedelta(seconds=1))
    out = await transfer(await gql.as_user("sales2"), [cid], to_user_id=uid(sales1))
    assert out["__typename"] == "CustomersSuccess", out
