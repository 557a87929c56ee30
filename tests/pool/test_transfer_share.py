"""Transfers and shares (F2.5) and who sees which customers (F2.4, F2.6, F2.7, F1.3)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gql_crm.clock import FrozenClock
from gql_crm.services.unit_of_work import Services
from tests.fixtures.errors import invalid
from tests.fixtures.factories import create_many
from tests.fixtures.graphql import maturity_ids, result
from tests.fixtures.users import uid, user_id
from tests.graphql_client import GraphQLClient
from tests.pool.support import (
    SHARE,
    UNSHARE,
    claim,
    create,
    customer,
    follow_up,
    log_actions,
    set_settings,
    snapshot,
    transfer,
    visible,
    when,
)

NOT_YOURS = "is not yours (nor a subordinate's) to manage"
NOT_VISIBLE = "does not exist or is not visible to you"
LIST = """
query($filter: CustomerFilterInput) {
  customers(filter: $filter, first: 100) { totalCount edges { node { id } } }
}
"""
LOG = """
query($id: Int) {
  operationLog(entityType: "customer", entityId: $id, first: 100) {
    totalCount edges { node { entityId action } }
  }
}
"""
CONTACTS = """
query($id: Int!) { customer(id: $id) { contacts { name mobile phone email } } }
"""
CONTACT = {
    "name": "Chen Jie",
    "mobile": "13912345678",
    "phone": "02188886666",
    "email": "chen.jie@example.com",
}


def refused(failures: list[tuple[int, str]]) -> dict[str, Any]:
    listed = "; ".join(f"customer {cid}: {why}" for cid, why in failures)
    return {
        "__typename": "BatchRefusedError",
        "code": "BATCH_REFUSED",
        "message": f"Nothing was changed. {listed}",
        "field": "customerIds",
        "failures": [{"customerId": cid, "reason": why} for cid, why in failures],
    }


async def listed(client: GraphQLClient, **filter_: Any) -> tuple[set[int], int]:
    """Ids and totalCount of a customers() list."""
    page = (await client.data(LIST, filter=filter_ or None))["customers"]
    return {e["node"]["id"] for e in page["edges"]}, page["totalCount"]


async def test_transfer_to_a_colleague_keeps_the_pool(
    sales1: GraphQLClient, gql: GraphQLClient, clock: FrozenClock, grades: dict[str, int]
) -> None:
    sales2 = await gql.as_user("sales2")
    private = await create(sales1, "Acme Steel", grades["A"])
    public = await create(sales1, "Harbour Logistics")
    assert (await claim(sales1, public["id"]))["__typename"] == "CustomerSuccess"
    clock.advance(timedelta(hours=1))

    out = await transfer(sales1, [private["id"], public["id"]], to_user_id=uid(sales2))
    assert out["__typename"] == "CustomersSuccess", out
    moved = {c["id"]: c for c in out["customers"]}
    assert (moved[private["id"]]["pool"], moved[private["id"]]["ownerId"]) == (
        "PRIVATE",
        uid(sales2),
    )
    assert (moved[public["id"]]["pool"], moved[public["id"]]["ownerId"]) == (
        "TEMPORARY",
        uid(sales2),
    )
    assert moved[public["id"]]["temporaryOrigin"] == "ENTERED"
    assert when(moved[private["id"]]["poolEnteredAt"]) == clock.now()

    for cid in (private["id"], public["id"]):
        assert await customer(sales1, cid) is None  # no longer sales1's to see
        found = await visible(sales2, cid)
        assert found["operationLog"]["nodes"][0] == {
            "action": "transfer",
            "changes": {"ownerId": [uid(sales1), uid(sales2)]},
            "actorId": uid(sales1),
        }
    assert (await listed(sales2, view="MINE"))[1] == 2


async def test_transfer_to_the_public_and_special_pools(
    sales1: GraphQLClient, gql: GraphQLClient, grades: dict[str, int]
) -> None:
    private = await create(sales1, "Acme Steel", grades["A"])
    temporary = await create(sales1, "Blue River Foods", grades["E"])

    for found, pool, from_pool in (
        (private, "PUBLIC", "private"),
        (temporary, "SPECIAL", "temporary"),
    ):
        out = await transfer(sales1, [found["id"]], to_pool=pool)
        assert out["__typename"] == "CustomersSuccess", out
        moved = out["customers"][0]
        assert (moved["pool"], moved["ownerId"], moved["temporaryOrigin"]) == (pool, None, None)
        assert moved["poolRelease"] is None
        again = await visible(await gql.as_user("sales3"), found["id"])
        assert again["operationLog"]["nodes"][0] == {
            "action": "transfer",
            "changes": {"ownerId": [uid(sales1), None], "pool": [from_pool, pool.lower()]},
            "actorId": uid(sales1),
        }
    # Handing a customer back is no release: no ban, the former owner may claim it again.
    out = await claim(sales1, private["id"])
    assert out["__typename"] == "CustomerSuccess", out


async def test_manager_transfers_subordinates_customers_only(
    manager1: GraphQLClient, sales1: GraphQLClient, gql: GraphQLClient, services: Services
) -> None:
    grades = await maturity_ids(sales1)
    sales2_id = await user_id(services, "sales2")
    mine = await create(sales1, "Acme Steel", grades["A"])
    foreign = await create(await gql.as_user("sales3"), "Far Away Ltd", grades["A"])

    out = await transfer(manager1, [mine["id"]], to_user_id=sales2_id)
    assert out["__typename"] == "CustomersSuccess", out
    assert out["customers"][0]["ownerId"] == sales2_id
    found = await visible(manager1, mine["id"])
    assert found["operationLog"]["nodes"][0]["actorId"] == uid(manager1)
    assert found["operationLog"]["nodes"][0]["changes"] == {"ownerId": [uid(sales1), sales2_id]}

    before = await snapshot(services)
    assert await transfer(manager1, [foreign["id"]], to_user_id=sales2_id) == refused(
        [(foreign["id"], NOT_VISIBLE)]
    )
    assert await snapshot(services) == before


async def test_sales_staff_cannot_transfer_someone_elses_customer(
    sales1: GraphQLClient, gql: GraphQLClient, services: Services, grades: dict[str, int]
) -> None:
    sales2 = await gql.as_user("sales2")
    theirs = await create(sales2, "Acme Steel", grades["A"])
    public = await create(sales2, "Harbour Logistics")
    before = await snapshot(services)

    # Another's private customer fails exactly as a missing one would: no existence oracle.
    for customer_id in (theirs["id"], 999_999):
        assert await transfer(sales1, [customer_id], to_user_id=uid(sales1)) == refused(
            [(customer_id, NOT_VISIBLE)]
        )
        assert await transfer(sales1, [customer_id], to_user_id=uid(sales2)) == refused(
            [(customer_id, NOT_VISIBLE)]
        )
        assert await transfer(sales1, [customer_id], to_pool="PUBLIC") == refused(
            [(customer_id, NOT_VISIBLE)]
        )
    assert await transfer(sales1, [public["id"]], to_pool="SPECIAL") == refused(
        [(public["id"], NOT_YOURS)]
    )
    assert await snapshot(services) == before
    found = await visible(sales2, theirs["id"])
    assert (found["ownerId"], log_actions(found)) == (uid(sales2), ["create"])


async def test_batch_of_100_with_one_foreign_customer_moves_nothing(
    sales1: GraphQLClient, services: Services
) -> None:
    own = await create_many(services, "sales1", [f"Own {n:02d}" for n in range(99)], "A")
    [foreign] = await create_many(services, "sales3", ["Not Yours Ltd"], "A")
    batch = [*own[:50], foreign, *own[50:]]
    assert len(batch) == 100
    sales2_id = await user_id(services, "sales2")
    before = await snapshot(services)

    expected = refused([(foreign, NOT_VISIBLE)])
    assert await transfer(sales1, batch, to_user_id=sales2_id) == expected
    assert await transfer(sales1, batch, to_pool="PUBLIC") == expected
    assert await snapshot(services) == before
    assert (await listed(sales1, view="MINE"))[1] == 99

    # Without the foreign customer the same batch goes through, all of it.
    out = await transfer(sales1, own, to_user_id=sales2_id)
    assert out["__typename"] == "CustomersSuccess", out
    assert {c["ownerId"] for c in out["customers"]} == {sales2_id}
    assert (await listed(sales1, view="MINE"))[1] == 0


async def test_batch_over_the_recipients_cap_moves_nothing(
    admin: GraphQLClient, sales1: GraphQLClient, gql: GraphQLClient, services: Services
) -> None:
    grades = await maturity_ids(sales1)
    await set_settings(admin, privatePoolCap=3)
    sales2 = await gql.as_user("sales2")
    for n in range(2):
        await create(sales2, f"Held {n}", grades["A"])
    batch = [(await create(sales1, f"Moving {n}", grades["A"]))["id"] for n in range(2)]
    before = await snapshot(services)

    out = await transfer(sales1, batch, to_user_id=uid(sales2))
    assert out["__typename"] == "PoolCapReachedError", out
    assert (out["code"], out["field"], out["pool"], out["cap"]) == (
        "POOL_CAP_REACHED",
        "pool",
        "PRIVATE",
        3,
    )
    assert out["message"].startswith("Zhang Min ")
    assert await snapshot(services) == before
    assert (await listed(sales1, view="MINE"))[0] == set(batch)
    # One fits.
    assert (await transfer(sales1, batch[:1], to_user_id=uid(sales2)))["__typename"] == (
        "CustomersSuccess"
    )


async def test_cap_message_states_what_the_recipient_holds(
    admin: GraphQLClient, sales1: GraphQLClient, gql: GraphQLClient, grades: dict[str, int]
) -> None:
    await set_settings(admin, privatePoolCap=3)
    sales2 = await gql.as_user("sales2")
    await create(sales2, "Held", grades["A"])  # sales2 holds 1 of 3
    batch = [(await create(sales1, f"Moving {n}", grades["A"]))["id"] for n in range(3)]
    out = await transfer(sales1, batch, to_user_id=uid(sales2))
    assert out["__typename"] == "PoolCapReachedError", out
    assert out["message"] == (
        "Zhang Min holds 1 customer(s) in the private pool, where at most 3 are allowed; "
        "3 more would exceed that."
    ), out["message"]


async def test_transfer_needs_exactly_one_target(
    sales1: GraphQLClient, services: Services, grades: dict[str, int]
) -> None:
    mine = await create(sales1, "Acme Steel", grades["A"])
    sales2_id = await user_id(services, "sales2")
    before = await snapshot(services)
    expected = invalid(("toUserId", "give exactly one of toUserId and toPool"))
    assert await transfer(sales1, [mine["id"]], to_user_id=sales2_id, to_pool="PUBLIC") == expected
    assert await transfer(sales1, [mine["id"]]) == expected
    assert await snapshot(services) == before


async def test_share_lets_a_colleague_see_and_follow_up(
    sales1: GraphQLClient, gql: GraphQLClient, clock: FrozenClock, services: Services
) -> None:
    grades = await maturity_ids(sales1)
    sales2 = await gql.as_user("sales2")
    shared = await create(sales1, "Acme Steel", grades["A"], contacts=[CONTACT])
    cid = shared["id"]
    # Contact details of customers sales2 does not manage are masked...
    public = await create(sales1, "Harbour Logistics", contacts=[CONTACT])
    masked = (await sales2.data(CONTACTS, id=public["id"]))["customer"]["contacts"]
    assert masked == [
        {
            "name": "Chen Jie",
            "mobile": "139****5678",
            "phone": "021****6666",
            "email": "c***@example.com",
        }
    ]
    # ...and sales1's own customer is out of sight until shared.
    assert await customer(sales2, cid) is None
    before = await snapshot(services)
    out = await follow_up(sales2, cid)
    assert (out["__typename"], out["code"]) == ("NotFoundError", "NOT_FOUND")
    assert await snapshot(services) == before

    out = await result(sales1, SHARE, ids=[cid], userIds=[uid(sales2)])
    assert out == {
        "__typename": "CustomersSuccess",
        "customers": [{"id": cid, "sharedWith": [{"id": uid(sales2)}]}],
    }
    assert await listed(sales2, view="SHARED") == ({cid}, 1)
    assert cid in (await listed(sales2))[0]
    assert (await visible(sales2, cid))["sharedWith"] == [{"id": uid(sales2)}]
    assert (await sales2.data(CONTACTS, id=cid))["customer"]["contacts"] == [CONTACT]
    clock.advance(timedelta(hours=2))
    out = await follow_up(sales2, cid)
    assert out["__typename"] == "FollowUpSuccess", out
    found = await visible(sales1, cid)
    assert when(found["lastFollowUpAt"]) == clock.now()
    assert when(found["poolRelease"]["at"]) == clock.now() + timedelta(days=30)
    assert found["operationLog"]["nodes"][0] == {
        "action": "share",
        "changes": {"sharedWith": [None, uid(sales2)]},
        "actorId": uid(sales1),
    }

    out = await result(sales1, UNSHARE, ids=[cid], userIds=[uid(sales2)])
    assert out == {"__typename": "CustomersSuccess", "customers": [{"id": cid, "sharedWith": []}]}
    assert await listed(sales2, view="SHARED") == (set(), 0)
    assert cid not in (await listed(sales2))[0]
    assert await customer(sales2, cid) is None
    before = await snapshot(services)
    out = await follow_up(sales2, cid)
    assert (out["__typename"], out["code"]) == ("NotFoundError", "NOT_FOUND")
    assert await snapshot(services) == before
    assert (await visible(sales1, cid))["operationLog"]["nodes"][0] == {
        "action": "unshare",
        "changes": {"sharedWith": [uid(sales2), None]},
        "actorId": uid(sales1),
    }


async def test_sharing_a_customer_you_do_not_manage_is_refused(
    sales1: GraphQLClient, gql: GraphQLClient, services: Services, grades: dict[str, int]
) -> None:
    sales2 = await gql.as_user("sales2")
    sales3_id = await user_id(services, "sales3")
    theirs = await create(sales2, "Acme Steel", grades["A"])
    public = await create(sales2, "Harbour Logistics")
    mine = await create(sales1, "Blue River Foods", grades["A"])
    assert (await result(sales1, SHARE, ids=[mine["id"]], userIds=[uid(sales2)]))[
        "__typename"
    ] == "CustomersSuccess"
    before = await snapshot(services)

    for query in (SHARE, UNSHARE):
        assert await result(sales1, query, ids=[theirs["id"]], userIds=[sales3_id]) == refused(
            [(theirs["id"], NOT_VISIBLE)]
        )
    assert await result(sales1, SHARE, ids=[mine["id"], public["id"]], userIds=[sales3_id]) == (
        refused([(public["id"], NOT_YOURS)])
    )
    # Being shared with is not managing: sales2 cannot pass sales1's customer on.
    assert await result(sales2, SHARE, ids=[mine["id"]], userIds=[sales3_id]) == refused(
        [(mine["id"], NOT_YOURS)]
    )
    assert await snapshot(services) == before


async def test_visibility_follows_the_data_scope(
    admin: GraphQLClient, manager1: GraphQLClient, sales1: GraphQLClient, gql: GraphQLClient
) -> None:
    grades = await maturity_ids(sales1)
    sales2 = await gql.as_user("sales2")
    sales3 = await gql.as_user("sales3")
    private1 = (await create(sales1, "Orion Private", grades["A"], contacts=[CONTACT]))["id"]
    temporary1 = (await create(sales1, "Orion Temporary", grades["E"]))["id"]
    private2 = (await create(sales2, "Zhang Account", grades["B"]))["id"]
    private3 = (await create(sales3, "Liu Account", grades["A"]))["id"]
    public = (await create(admin, "Open Lead"))["id"]

    searches = ["Orion", "chen jie", "9123456", "88886666", "chen.jie@example"]
    # sales3: own and public only, whatever the filter.
    assert await listed(sales3) == ({private3, public}, 2)
    for cid in (private1, temporary1, private2):
        assert await customer(sales3, cid) is None
    for term in searches:
        assert await listed(sales3, search=term) == (set(), 0), term
    assert await listed(sales3, ownerId=uid(sales1)) == (set(), 0)
    assert await listed(sales3, pool="PRIVATE") == ({private3}, 1)
    assert await listed(sales3, view="SUBORDINATES") == (set(), 0)
    for cid in (private1, temporary1):
        log = (await sales3.data(LOG, id=cid))["operationLog"]
        assert (log["totalCount"], log["edges"]) == (0, [])
    all_log = (await sales3.data(LOG, id=None))["operationLog"]
    assert {e["node"]["entityId"] for e in all_log["edges"]} == {private3}
    assert all_log["totalCount"] == 1

    # sales1 finds its own by every term.
    for term in searches:
        found = (await listed(sales1, search=term))[0]
        assert private1 in found, term
    assert await listed(sales1) == ({private1, temporary1, public}, 3)

    # manager1: own department's customers, not sales3's.
    assert await listed(manager1) == ({private1, temporary1, private2, public}, 4)
    assert await listed(manager1, view="SUBORDINATES") == ({private1, temporary1, private2}, 3)
    assert await customer(manager1, private3) is None
    assert await listed(manager1, search="Liu Account") == (set(), 0)
    assert (await visible(manager1, private1))["ownerId"] == uid(sales1)
    assert (await manager1.data(LOG, id=private1))["operationLog"]["totalCount"] == 1

    # Everyone sees the public pool.
    for client in (admin, manager1, sales1, sales2, sales3):
        assert await listed(client, view="PUBLIC") == ({public}, 1)
        assert (await visible(client, public))["pool"] == "PUBLIC"
    assert await listed(admin) == ({private1, temporary1, private2, private3, public}, 5)
