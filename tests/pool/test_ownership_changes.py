"""What changes hands with a customer: pool placement, shares, caps on restore."""

from __future__ import annotations

from tests.fixtures.graphql import result
from tests.fixtures.users import uid
from tests.graphql_client import GraphQLClient
from tests.pool.support import SHARE, create, set_settings, transfer, visible

SHARED_WITH = "query($id: Int!) { customer(id: $id) { sharedWith { loginName } } }"


async def test_an_administrator_moves_a_public_customer_to_the_special_pool(
    admin: GraphQLClient, sales1: GraphQLClient
) -> None:
    junk = await create(sales1, "Wrong number Ltd")  # no maturity: public
    moved = await transfer(admin, [junk["id"]], to_pool="SPECIAL")
    assert moved["__typename"] == "CustomersSuccess", moved
    assert (await visible(admin, junk["id"]))["pool"] == "SPECIAL"


async def test_a_public_customer_given_to_a_colleague_starts_in_their_temporary_pool(
    admin: GraphQLClient, sales1: GraphQLClient
) -> None:
    public = await create(sales1, "Open Lead Co")
    given = await transfer(admin, [public["id"]], to_user_id=uid(sales1))
    assert given["__typename"] == "CustomersSuccess", given
    found = await visible(sales1, public["id"])
    assert (found["pool"], found["ownerId"], found["temporaryOrigin"]) == (
        "TEMPORARY",
        uid(sales1),
        "ENTERED",
    )
    assert found["poolRelease"] is not None


async def test_shares_end_when_the_customer_changes_hands(
    sales1: GraphQLClient, manager1: GraphQLClient, gql: GraphQLClient, grades: dict[str, int]
) -> None:
    sales2 = await gql.as_user("sales2")
    mine = await create(sales1, "Shared Widgets", grades["A"])
    shared = await result(sales1, SHARE, ids=[mine["id"]], userIds=[uid(sales2)])
    assert shared["__typename"] == "CustomersSuccess", shared
    assert (await sales2.data(SHARED_WITH, id=mine["id"]))["customer"] is not None

    moved = await transfer(manager1, [mine["id"]], to_user_id=uid(manager1))
    assert moved["__typename"] == "CustomersSuccess", moved
    assert (await manager1.data(SHARED_WITH, id=mine["id"]))["customer"]["sharedWith"] == []
    assert (await sales2.data(SHARED_WITH, id=mine["id"]))["customer"] is None


async def test_restoring_respects_the_owners_cap(
    admin: GraphQLClient, sales1: GraphQLClient, manager1: GraphQLClient, grades: dict[str, int]
) -> None:
    first = await create(sales1, "First Private", grades["A"])
    deleted = await manager1.data(
        "mutation($id: Int!) { deleteCustomer(id: $id) { __typename } }", id=first["id"]
    )
    assert deleted["deleteCustomer"]["__typename"] == "CustomerSuccess"
    await set_settings(admin, privatePoolCap=1)
    await create(sales1, "Second Private", grades["A"])  # fills the cap meanwhile
    restored = await manager1.data(
        """mutation($id: Int!) { restoreCustomer(id: $id) { __typename
          ... on PoolCapReachedError { pool cap } } }""",
        id=first["id"],
    )
    assert restored["restoreCustomer"] == {
        "__typename": "PoolCapReachedError",
        "pool": "PRIVATE",
        "cap": 1,
    }
    bin_ = await manager1.data("{ recycleBin { edges { node { id } } } }")
    assert [e["node"]["id"] for e in bin_["recycleBin"]["edges"]] == [first["id"]]
