"""Claims (F2.4): from the public pool into the claimer's temporary pool, subject to the
special pool rule and the temporary cap; exactly one of simultaneous claimers wins."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from gql_crm.clock import FrozenClock
from gql_crm.db.models import Customer, OperationLog, Pool
from gql_crm.services.unit_of_work import Services
from tests.fixtures.errors import conflict, not_found
from tests.fixtures.factories import add_sales_staff, create_many
from tests.fixtures.graphql import maturity_ids
from tests.graphql_client import GraphQLClient
from tests.pool.support import (
    claim,
    create,
    log_actions,
    set_settings,
    snapshot,
    transfer,
    visible,
    when,
)

ALREADY_CLAIMED = conflict("This customer has already been claimed by someone else.")
MINE = """
{ customers(filter: {view: MINE}, first: 100) { totalCount edges { node { id pool ownerId } } } }
"""


async def test_claim_puts_a_public_customer_in_the_claimers_temporary_pool(
    admin: GraphQLClient, sales1: GraphQLClient, gql: GraphQLClient, clock: FrozenClock
) -> None:
    public = await create(admin, "Harbour Logistics")
    clock.advance(timedelta(hours=3))
    claimed_at = clock.now()

    out = await claim(sales1, public["id"])
    assert out["__typename"] == "CustomerSuccess", out
    customer = out["customer"]
    assert customer["pool"] == "TEMPORARY"
    assert customer["ownerId"] == sales1.user_id
    assert customer["temporaryOrigin"] == "CLAIMED"
    assert when(customer["poolEnteredAt"]) == claimed_at
    assert when(customer["poolRelease"]["at"]) == claimed_at + timedelta(days=7)

    found = await visible(sales1, public["id"])
    assert found["operationLog"]["nodes"][0] == {
        "action": "claim",
        "changes": {"pool": ["public", "temporary"], "ownerId": [None, sales1.user_id]},
        "actorId": sales1.user_id,
    }
    assert log_actions(found) == ["create", "claim"]
    mine = (await sales1.data(MINE))["customers"]
    assert mine["totalCount"] == 1
    assert mine["edges"][0]["node"] == {
        "id": public["id"],
        "pool": "TEMPORARY",
        "ownerId": sales1.user_id,
    }


async def test_claiming_an_owned_customer_is_a_conflict_or_not_found(
    sales1: GraphQLClient, gql: GraphQLClient, services: Services, grades: dict[str, int]
) -> None:
    sales2 = await gql.as_user("sales2")
    private = await create(sales2, "Acme Steel", grades["A"])
    temporary = await create(sales2, "Blue River Foods", grades["E"])
    public = await create(sales2, "Harbour Logistics")
    assert (await claim(sales1, public["id"]))["__typename"] == "CustomerSuccess"
    before = await snapshot(services)

    # Another's private customers answer exactly as missing ones: no existence oracle.
    for customer_id in (private["id"], temporary["id"], 999_999):
        assert await claim(sales1, customer_id) == not_found("Customer", customer_id)
    # Customers one may see: a conflict that says why.
    assert await claim(sales1, public["id"]) == ALREADY_CLAIMED
    assert await claim(sales2, private["id"]) == ALREADY_CLAIMED

    assert await snapshot(services) == before
    assert (await visible(sales2, private["id"]))["ownerId"] == sales2.user_id
    assert log_actions(await visible(sales2, private["id"])) == ["create"]


async def test_special_pool_is_claimable_only_with_the_right(
    admin: GraphQLClient, sales1: GraphQLClient, gql: GraphQLClient, services: Services
) -> None:
    grades = await maturity_ids(sales1)
    junk = await create(sales1, "Wrong Number Co", grades["A"])
    out = await transfer(admin, [junk["id"]], to_pool="SPECIAL")
    assert out["__typename"] == "CustomersSuccess", out
    assert (out["customers"][0]["pool"], out["customers"][0]["ownerId"]) == ("SPECIAL", None)

    sales2 = await gql.as_user("sales2")
    before = await snapshot(services)
    out = await claim(sales2, junk["id"])
    assert out["__typename"] == "NotClaimableError", out
    assert out["code"] == "NOT_CLAIMABLE"
    assert out["field"] == "id"
    assert "customer:claim_special_pool" in out["message"]
    assert await snapshot(services) == before
    assert (await visible(sales2, junk["id"]))["pool"] == "SPECIAL"

    out = await claim(admin, junk["id"])
    assert out["__typename"] == "CustomerSuccess", out
    customer = out["customer"]
    assert (customer["pool"], customer["ownerId"], customer["temporaryOrigin"]) == (
        "TEMPORARY",
        admin.user_id,
        "CLAIMED",
    )
    found = await visible(admin, junk["id"])
    assert found["operationLog"]["nodes"][0]["changes"] == {
        "pool": ["special", "temporary"],
        "ownerId": [None, admin.user_id],
    }
    assert log_actions(found) == ["create", "transfer", "claim"]


async def test_temporary_cap_refuses_the_claim_over_it(
    admin: GraphQLClient, sales1: GraphQLClient, gql: GraphQLClient, services: Services
) -> None:
    await set_settings(admin, temporaryPoolCap=2)
    leads = [await create(admin, f"Lead {n}") for n in range(3)]
    for lead in leads[:2]:
        assert (await claim(sales1, lead["id"]))["__typename"] == "CustomerSuccess"
    before = await snapshot(services)

    assert await claim(sales1, leads[2]["id"]) == {
        "__typename": "PoolCapReachedError",
        "code": "POOL_CAP_REACHED",
        "message": "Wang Wei holds 2 customer(s) in the temporary pool, where at most 2 are "
        "allowed; one more would exceed that.",
        "field": "pool",
        "pool": "TEMPORARY",
        "cap": 2,
    }
    assert await snapshot(services) == before
    third = await visible(sales1, leads[2]["id"])
    assert (third["pool"], third["ownerId"]) == ("PUBLIC", None)
    assert log_actions(third) == ["create"]
    # Someone else with room still may.
    out = await claim(await gql.as_user("sales2"), leads[2]["id"])
    assert out["__typename"] == "CustomerSuccess", out


async def _claim_entries(
    services: Services, customer_ids: list[int]
) -> list[tuple[int, int | None]]:
    """(customer id, actor id) of every claim entry in the operation log."""
    async with services.database.reader() as session:
        rows = await session.execute(
            select(OperationLog.entity_id, OperationLog.actor_id).where(
                OperationLog.entity_type == "customer",
                OperationLog.action == "claim",
                OperationLog.entity_id.in_(customer_ids),
            )
        )
        return [(cid, actor) for cid, actor in rows]


async def test_twenty_simultaneous_claimers_exactly_one_wins(
    admin: GraphQLClient, gql: GraphQLClient, services: Services
) -> None:
    logins = [f"claimer{n:02d}" for n in range(20)]
    await add_sales_staff(services, logins)
    claimers = await asyncio.gather(*(gql.as_user(login) for login in logins))
    public = await create(admin, "Hot Lead Ltd")

    results = await asyncio.gather(*(claim(c, public["id"]) for c in claimers))

    # A loser that read the customer while it was public is told it was claimed; one that
    # came after the winner finds it gone from its scope: not found, as any invisible one.
    losers = [r for r in results if r["__typename"] != "CustomerSuccess"]
    assert len(losers) == 19, results
    assert all(r in (ALREADY_CLAIMED, not_found("Customer", public["id"])) for r in losers), losers
    winner = next(c for c, r in zip(claimers, results, strict=True) if "customer" in r)
    won = next(r for r in results if "customer" in r)["customer"]
    assert (won["ownerId"], won["pool"], won["temporaryOrigin"]) == (
        winner.user_id,
        "TEMPORARY",
        "CLAIMED",
    )

    found = await visible(admin, public["id"])
    assert (found["ownerId"], found["pool"]) == (winner.user_id, "TEMPORARY")
    assert log_actions(found) == ["create", "claim"]
    assert found["operationLog"]["nodes"][0]["actorId"] == winner.user_id
    assert await _claim_entries(services, [public["id"]]) == [(public["id"], winner.user_id)]
    for loser in claimers:
        if loser is not winner:
            assert (await loser.data(MINE))["customers"]["totalCount"] == 0


async def test_thirty_simultaneous_claims_by_one_user_stop_at_the_cap(
    admin: GraphQLClient, sales1: GraphQLClient, services: Services
) -> None:
    await set_settings(admin, temporaryPoolCap=5)
    ids = await create_many(services, "admin", [f"Lead {n:02d}" for n in range(30)], None)

    results = await asyncio.gather(*(claim(sales1, cid) for cid in ids))

    kinds = Counter(r["__typename"] for r in results)
    assert kinds == {"CustomerSuccess": 5, "PoolCapReachedError": 25}, kinds
    refused: list[dict[str, Any]] = [r for r in results if r["__typename"] != "CustomerSuccess"]
    assert {(r["code"], r["pool"], r["cap"]) for r in refused} == {
        ("POOL_CAP_REACHED", "TEMPORARY", 5)
    }
    won = {r["customer"]["id"] for r in results if r["__typename"] == "CustomerSuccess"}

    mine = (await sales1.data(MINE))["customers"]
    assert mine["totalCount"] == 5
    assert {e["node"]["id"] for e in mine["edges"]} == won
    assert {e["node"]["pool"] for e in mine["edges"]} == {"TEMPORARY"}
    async with services.database.reader() as session:
        owned = await session.scalar(
            select(func.count()).where(
                Customer.owner_id == sales1.user_id, Customer.pool == Pool.TEMPORARY
            )
        )
        still_public = await session.scalar(
            select(func.count()).where(Customer.id.in_(ids), Customer.pool == Pool.PUBLIC)
        )
    assert (owned, still_public) == (5, 25)
    entries = await _claim_entries(services, ids)
    assert sorted(entries) == sorted((cid, sales1.user_id) for cid in won)
