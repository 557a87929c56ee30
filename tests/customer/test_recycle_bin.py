"""The recycle bin (F2.12): delete hides a customer everywhere, restore brings it back exactly,
purge removes it with everything hanging on it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from tests.conftest import START
from tests.fixtures.errors import error, forbidden, not_found
from tests.fixtures.graphql import (
    ADD_CONTACT,
    CREATE_FOLLOW_UP,
    DELETE_CUSTOMER,
    PURGE_CUSTOMER,
    RESTORE_CUSTOMER,
    SHARE,
    UPDATE_CONTACT,
    UPDATE_CUSTOMER,
    UPDATE_FOLLOW_UP,
    bin_names,
    create,
    customer,
    customers,
    log,
    maturity_ids,
    names,
    position_ids,
    result,
)
from tests.fixtures.users import user_ids
from tests.graphql_client import GraphQLClient

NOT_YOURS = (
    "Only the owner, their managers or an administrator may change this customer; "
    "claim it first if it is in a pool."
)


def not_in_bin(customer_id: int) -> dict[str, Any]:
    return not_found("Customer in your recycle bin", customer_id)


@pytest.fixture
async def doomed(
    sales1: GraphQLClient, admin: GraphQLClient, clock: FrozenClock, grades: dict[str, int]
) -> dict[str, Any]:
    """sales1's private customer with two contacts, two follow-ups, shared with sales2."""
    users = await user_ids(admin)
    created = await create(
        sales1,
        "Doomed Co",
        contacts=[
            {"name": "Bob", "mobile": "13911111111", "email": "bob@doomed.example"},
            {"name": "Eve", "phone": "021-5555 6666"},
        ],
        maturityId=grades["A"],
        acquiredOn="2025-06-01",
        city="Wuhan",
    )
    for hours, content in ((3, "First call."), (1, "Second call.")):
        followed = await result(
            sales1,
            CREATE_FOLLOW_UP,
            customerId=created["id"],
            input={
                "content": content,
                "contactId": created["contacts"][0]["id"],
                "followedAt": (START - timedelta(hours=hours)).isoformat(),
            },
        )
        assert followed["__typename"] == "FollowUpSuccess", followed
    shared = await result(sales1, SHARE, customerIds=[created["id"]], userIds=[users["sales2"]])
    assert shared["__typename"] == "CustomersSuccess"
    clock.advance(timedelta(minutes=5))
    found = await customer(sales1, created["id"])
    assert found is not None
    return found


async def test_sales_staff_may_not_delete_restore_or_purge(
    sales1: GraphQLClient, doomed: dict[str, Any]
) -> None:
    for mutation in (DELETE_CUSTOMER, RESTORE_CUSTOMER, PURGE_CUSTOMER):
        await forbidden(sales1, mutation, id=doomed["id"])
    assert await customer(sales1, doomed["id"]) == doomed
    assert await bin_names(sales1) == []


async def test_a_deleted_customer_disappears_everywhere(
    sales1: GraphQLClient,
    manager1: GraphQLClient,
    admin: GraphQLClient,
    gql: GraphQLClient,
    clock: FrozenClock,
    doomed: dict[str, Any],
) -> None:
    await create(sales1, "Survivor Co", maturityId=(await maturity_ids(admin))["A"])
    sales2 = await gql.as_user("sales2")
    before = {c: (await customers(c, first=0))["totalCount"] for c in (sales1, sales2, manager1)}

    deleted = await result(manager1, DELETE_CUSTOMER, id=doomed["id"])

    assert deleted["__typename"] == "CustomerSuccess"
    assert deleted["customer"]["deletedAt"] == clock.now().isoformat()
    for reader in (sales1, sales2, manager1, admin):
        assert await customer(reader, doomed["id"]) is None
        for view in ("ALL", "MINE", "SUBORDINATES", "SHARED"):
            assert "Doomed Co" not in await names(reader, filter={"view": view})
        for term in ("doomed", "13911111111", "bob@doomed", "Eve"):
            assert await names(reader, filter={"search": term}) == [], term
    for reader, count in before.items():
        assert (await customers(reader, first=0))["totalCount"] == count - 1
    assert await names(sales1, filter={"view": "MINE"}) == ["Survivor Co"]

    # Only the deleter's bin holds it.
    assert await bin_names(manager1) == ["Doomed Co"]
    assert await bin_names(sales1) == []
    assert await bin_names(admin) == []

    # Nothing can be done to it or hung on it while it is in the bin.
    customer_id = doomed["id"]
    refusals = {
        "update": await result(manager1, UPDATE_CUSTOMER, id=customer_id, input={"name": "X"}),
        "delete": await result(manager1, DELETE_CUSTOMER, id=customer_id),
        "contact": await result(
            sales1, ADD_CONTACT, customerId=customer_id, input={"name": "Late"}
        ),
    }
    for what, refused in refusals.items():
        assert refused == not_found("Customer", customer_id), what
    contact_id = doomed["contacts"][1]["id"]
    edit_contact = await result(sales1, UPDATE_CONTACT, id=contact_id, input={"name": "Evelyn"})
    assert edit_contact == not_found("Contact", contact_id)
    follow_up = await result(
        sales1, CREATE_FOLLOW_UP, customerId=customer_id, input={"content": "Still there?"}
    )
    assert follow_up == not_found("Customer", customer_id, "customerId")
    edit_follow_up = await result(
        sales1,
        UPDATE_FOLLOW_UP,
        id=doomed["followUps"]["nodes"][0]["id"],
        input={"content": "Edited"},
    )
    assert edit_follow_up == not_found("Follow-up", doomed["followUps"]["nodes"][0]["id"])


async def test_restore_brings_back_the_customer_exactly_as_it_was(
    sales1: GraphQLClient,
    manager1: GraphQLClient,
    gql: GraphQLClient,
    clock: FrozenClock,
    doomed: dict[str, Any],
) -> None:
    sales2 = await gql.as_user("sales2")
    snapshots = {c: await customer(c, doomed["id"]) for c in (sales1, sales2, manager1)}
    assert snapshots[sales2] is not None  # shared with sales2
    assert await result(manager1, DELETE_CUSTOMER, id=doomed["id"]) != {}
    deleted_at = clock.now()
    clock.advance(timedelta(hours=2))

    restored = await result(manager1, RESTORE_CUSTOMER, id=doomed["id"])

    assert restored == {"__typename": "CustomerSuccess", "customer": snapshots[manager1]}
    for reader, snapshot in snapshots.items():
        assert await customer(reader, doomed["id"]) == snapshot
    assert snapshots[sales1] == doomed
    assert await bin_names(manager1) == []
    assert "Doomed Co" in await names(sales1, filter={"view": "MINE"})
    assert await names(sales2, filter={"search": "13911111111"}) == ["Doomed Co"]

    entries = await log(manager1, "customer", doomed["id"])
    assert entries[:2] == [
        {
            "action": "restore",
            "changes": {"deletedAt": [deleted_at.isoformat(), None]},
            "actor": {"loginName": "manager1"},
        },
        {
            "action": "delete",
            "changes": {"deletedAt": [None, deleted_at.isoformat()]},
            "actor": {"loginName": "manager1"},
        },
    ]


async def test_purge_removes_the_customer_and_what_hangs_on_it_for_good(
    sales1: GraphQLClient,
    manager1: GraphQLClient,
    admin: GraphQLClient,
    database: Database,
    doomed: dict[str, Any],
) -> None:
    customer_id = doomed["id"]
    assert await result(manager1, DELETE_CUSTOMER, id=customer_id) != {}

    purged = await result(manager1, PURGE_CUSTOMER, id=customer_id)

    assert purged == {"__typename": "DeleteSuccess", "id": customer_id}
    assert await bin_names(manager1) == []
    assert await customer(admin, customer_id) is None
    assert await result(manager1, RESTORE_CUSTOMER, id=customer_id) == not_in_bin(customer_id)
    assert await result(manager1, PURGE_CUSTOMER, id=customer_id) == not_in_bin(customer_id)
    async with database.reader() as session:
        for table in ("customers", "contacts", "follow_ups", "customer_shares"):
            column = "id" if table == "customers" else "customer_id"
            count = await session.scalar(
                text(f"SELECT count(*) FROM {table} WHERE {column} = :id"), {"id": customer_id}
            )
            assert count == 0, table
    edit_contact = await result(
        sales1, UPDATE_CONTACT, id=doomed["contacts"][0]["id"], input={"name": "Bob"}
    )
    assert edit_contact == not_found("Contact", doomed["contacts"][0]["id"])
    edit_follow_up = await result(
        sales1, UPDATE_FOLLOW_UP, id=doomed["followUps"]["nodes"][0]["id"], input={"content": "x"}
    )
    assert edit_follow_up == not_found("Follow-up", doomed["followUps"]["nodes"][0]["id"])

    entries = await log(manager1, "customer", customer_id)
    # The manager reads the entries of everyone in Sales Dept 1, sales1's included.
    assert [entry["action"] for entry in entries] == ["purge", "delete", "share", "create"]
    assert entries[0] == {
        "action": "purge",
        "changes": {"name": ["Doomed Co", None]},
        "actor": {"loginName": "manager1"},
    }
    # The history survives the purge; sales1 (scope OWN) reads only their own entries.
    owner_entries = await log(sales1, "customer", customer_id)
    assert [entry["action"] for entry in owner_entries] == ["share", "create"]


async def test_restore_and_purge_only_reach_your_own_bin(
    sales1: GraphQLClient, manager1: GraphQLClient, admin: GraphQLClient, doomed: dict[str, Any]
) -> None:
    grades = await maturity_ids(admin)
    live = await create(sales1, "Alive Co", maturityId=grades["A"])

    # Not deleted at all.
    assert await result(manager1, RESTORE_CUSTOMER, id=live["id"]) == not_in_bin(live["id"])
    assert await result(manager1, PURGE_CUSTOMER, id=live["id"]) == not_in_bin(live["id"])
    assert await result(manager1, RESTORE_CUSTOMER, id=99999) == not_in_bin(99999)
    assert await customer(sales1, live["id"]) == live

    # In someone else's bin: not even the administrator may reach it.
    assert await result(manager1, DELETE_CUSTOMER, id=doomed["id"]) != {}
    assert await result(admin, RESTORE_CUSTOMER, id=doomed["id"]) == not_in_bin(doomed["id"])
    assert await result(admin, PURGE_CUSTOMER, id=doomed["id"]) == not_in_bin(doomed["id"])
    assert await bin_names(manager1) == ["Doomed Co"]
    assert await customer(sales1, doomed["id"]) is None
    assert [e["action"] for e in await log(admin, "customer", doomed["id"])][:1] == ["delete"]


async def test_managers_delete_only_within_their_scope(
    manager1: GraphQLClient, admin: GraphQLClient, gql: GraphQLClient, grades: dict[str, int]
) -> None:
    sales3 = await gql.as_user("sales3")
    outside = await create(sales3, "Dept 2 Co", maturityId=grades["A"])
    public = await create(admin, "Public Co")

    # Outside the manager's scope: invisible, so not found; public: visible but not theirs.
    refused = await result(manager1, DELETE_CUSTOMER, id=outside["id"])
    assert refused == not_found("Customer", outside["id"])
    refused = await result(manager1, DELETE_CUSTOMER, id=public["id"])
    assert refused == error("ConflictError", "CONFLICT", NOT_YOURS)
    assert await result(manager1, DELETE_CUSTOMER, id=99999) == not_found("Customer", 99999)
    assert await customer(sales3, outside["id"]) == outside
    assert await customer(admin, public["id"]) == public
    assert await bin_names(manager1) == []

    # The administrator sees everyone and may bin a public-pool customer.
    deleted = await result(admin, DELETE_CUSTOMER, id=public["id"])
    assert deleted["__typename"] == "CustomerSuccess"
    assert await bin_names(admin) == ["Public Co"]


async def test_a_forged_recycle_bin_cursor_is_bad_user_input(manager1: GraphQLClient) -> None:
    forged = "WyJ4IiwgMV0"  # base64url of ["x", 1]
    query = "query($after: String) { recycleBin(after: $after) { totalCount } }"
    assert await manager1.error_codes(query, after=forged) == ["BAD_USER_INPUT"]


MOVE = """mutation($id: Int!, $position: Int!) { updateUser(id: $id, input: {name: "Li Na",
  positionId: $position}) { __typename } }"""
CLERK = """mutation { createPosition(input: {name: "Clerk", dataScope: OWN, permissions:
  ["customer:view", "customer:edit", "customer:delete"]}) {
  ... on PositionSuccess { position { id } } } }"""


async def test_the_bin_shows_only_what_the_caller_may_still_see(
    sales1: GraphQLClient, manager1: GraphQLClient, admin: GraphQLClient, grades: dict[str, int]
) -> None:
    """After a demotion (or the loss of customer:delete) a manager's bin no longer shows a
    subordinate's customer, nor lets it be restored or purged."""
    theirs = await create(sales1, "Subordinate Co", maturityId=grades["A"])
    deleted = await result(manager1, DELETE_CUSTOMER, id=theirs["id"])
    assert deleted["__typename"] == "CustomerSuccess", deleted
    assert await bin_names(manager1) == ["Subordinate Co"]
    positions = await position_ids(admin)
    manager_id = (await user_ids(admin))["manager1"]

    clerk = (await admin.data(CLERK))["createPosition"]["position"]["id"]
    moved = await admin.data(MOVE, id=manager_id, position=clerk)
    assert moved["updateUser"]["__typename"] == "UserSuccess"
    assert await bin_names(manager1) == []
    for mutation in (RESTORE_CUSTOMER, PURGE_CUSTOMER):
        assert await result(manager1, mutation, id=theirs["id"]) == not_in_bin(theirs["id"])
    assert await log(manager1, "customer", theirs["id"]) == []

    await admin.data(MOVE, id=manager_id, position=positions["Sales staff"])
    assert await bin_names(manager1) == []  # back in scope, but without customer:delete
    await admin.data(MOVE, id=manager_id, position=positions["Sales manager"])
    assert await bin_names(manager1) == ["Subordinate Co"]
