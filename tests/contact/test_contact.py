"""Contacts of a customer (F2.1): add, edit, delete, exactly one primary, masked details."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gql_crm.clock import FrozenClock
from tests.conftest import START
from tests.fixtures.errors import forbidden, invalid, not_found
from tests.fixtures.graphql import (
    ADD_CONTACT,
    CLAIM,
    CREATE_FOLLOW_UP,
    CUSTOMER,
    DELETE_CONTACT,
    SHARE,
    UPDATE_CONTACT,
    create,
    customer,
    log,
    maturity_ids,
    result,
    update_form,
)
from tests.fixtures.users import user_ids
from tests.graphql_client import GraphQLClient

T0 = START.isoformat()
NOT_YOURS = (
    "Only the owner, their managers or an administrator may change this customer; "
    "claim it first if it is in a pool."
)
DETAILS = """
query($id: Int!) {
  customer(id: $id) {
    contacts { name mobile phone email }
    primaryContact { name mobile phone email }
  }
}
"""
LIST_DETAILS = """
query($search: String!) {
  customers(filter: {search: $search}) { edges { node { contacts { mobile phone email } } } }
}
"""


async def private_customer(
    client: GraphQLClient, admin: GraphQLClient, name: str, contacts: list[dict[str, Any]]
) -> dict[str, Any]:
    grades = await maturity_ids(admin)
    return await create(client, name, contacts=contacts, maturityId=grades["A"])


def primaries(found: dict[str, Any] | None) -> list[tuple[str, bool]]:
    assert found is not None
    return [(c["name"], c["isPrimary"]) for c in found["contacts"]]


async def test_add_contact_and_move_the_primary_flag(
    sales1: GraphQLClient, admin: GraphQLClient, clock: FrozenClock
) -> None:
    acme = await private_customer(sales1, admin, "Acme", [])
    clock.advance(timedelta(minutes=1))

    details = {
        "gender": "male",
        "mobile": "13911111111",
        "phone": "010-8888 7777",
        "email": "bob@acme.example",
        "title": "Buyer",
    }
    first = await result(
        sales1, ADD_CONTACT, customerId=acme["id"], input={"name": " Bob ", **details}
    )
    now = clock.now().isoformat()
    assert first == {
        "__typename": "ContactSuccess",
        "contact": {
            "id": first["contact"]["id"],
            "customerId": acme["id"],
            "name": "Bob",
            **details,
            "isPrimary": True,  # the only contact is the primary one
            "createdAt": now,
            "updatedAt": now,
        },
    }
    second = await result(sales1, ADD_CONTACT, customerId=acme["id"], input={"name": "Carol"})
    assert second["contact"]["isPrimary"] is False
    assert primaries(await customer(sales1, acme["id"])) == [("Bob", True), ("Carol", False)]

    third = await result(
        sales1, ADD_CONTACT, customerId=acme["id"], input={"name": "Dan", "isPrimary": True}
    )
    assert third["contact"]["isPrimary"] is True
    found = await customer(sales1, acme["id"])
    assert primaries(found) == [("Dan", True), ("Bob", False), ("Carol", False)]
    assert found is not None and found["primaryContact"]["name"] == "Dan"

    assert await log(sales1, "contact", first["contact"]["id"]) == [
        {
            "action": "create",
            "changes": {"customerId": [None, acme["id"]], "name": [None, "Bob"]},
            "actor": {"loginName": "sales1"},
        }
    ]


async def test_update_contact_edits_fields_and_can_take_the_primary_flag(
    sales1: GraphQLClient, admin: GraphQLClient, clock: FrozenClock
) -> None:
    acme = await private_customer(
        sales1, admin, "Acme", [{"name": "Bob", "mobile": "13911111111"}, {"name": "Carol"}]
    )
    bob, carol = acme["contacts"]
    clock.advance(timedelta(minutes=1))

    updated = await result(
        sales1,
        UPDATE_CONTACT,
        id=carol["id"],
        input={"name": "Carol King", "email": "carol@acme.example", "isPrimary": True},
    )

    assert updated == {
        "__typename": "ContactSuccess",
        "contact": {
            **carol,
            "name": "Carol King",
            "email": "carol@acme.example",
            "isPrimary": True,
            "updatedAt": clock.now().isoformat(),
        },
    }
    assert primaries(await customer(sales1, acme["id"])) == [("Carol King", True), ("Bob", False)]
    assert await log(sales1, "contact", carol["id"]) == [
        {
            "action": "update",
            "changes": {
                "name": ["Carol", "Carol King"],
                "email": [None, "c***@acme.example"],
                "isPrimary": [False, True],
            },
            "actor": {"loginName": "sales1"},
        },
    ]

    # Giving the flag back to Bob: the flag moves again, there is never more than one.
    back = await result(
        sales1,
        UPDATE_CONTACT,
        id=bob["id"],
        input={"name": "Bob", "mobile": "13911111111", "isPrimary": True},
    )
    assert back["contact"]["isPrimary"] is True
    assert primaries(await customer(sales1, acme["id"])) == [("Bob", True), ("Carol King", False)]


async def test_the_primary_contact_cannot_be_unmarked(
    sales1: GraphQLClient, admin: GraphQLClient
) -> None:
    acme = await private_customer(sales1, admin, "Acme", [{"name": "Bob"}, {"name": "Carol"}])
    bob = acme["contacts"][0]

    refused = await result(
        sales1, UPDATE_CONTACT, id=bob["id"], input={"name": "Robert", "isPrimary": False}
    )

    assert refused == invalid(
        ("isPrimary", "make another contact primary instead of un-marking the primary one")
    )
    assert await customer(sales1, acme["id"]) == acme
    assert await log(sales1, "contact", bob["id"]) == []


async def test_bad_contact_input_is_refused_and_nothing_is_written(
    sales1: GraphQLClient, admin: GraphQLClient
) -> None:
    acme = await private_customer(sales1, admin, "Acme", [{"name": "Bob"}])
    bob = acme["contacts"][0]

    added = await result(
        sales1,
        ADD_CONTACT,
        customerId=acme["id"],
        input={
            "name": "",
            "mobile": "phone me",
            "email": "eve@",
            "gender": "x",
            "title": "t" * 101,
        },
    )
    assert added == invalid(
        ("name", "must not be empty"),
        ("mobile", "'phone me' is not a phone number (digits, spaces, '+', '-', parentheses)"),
        ("email", "'eve@' is not an e-mail address"),
        ("title", "must have at most 100 characters (has 101)"),
        ("gender", "must be one of male, female, other"),
    )
    updated = await result(
        sales1, UPDATE_CONTACT, id=bob["id"], input={"name": "Bob", "phone": "12"}
    )
    assert updated == invalid(
        ("phone", "'12' is not a phone number (digits, spaces, '+', '-', parentheses)")
    )

    # A field the contact form requires.
    required = await update_form(admin, "CONTACT", ("email", True, True))
    assert required["__typename"] == "FormSettingsSuccess"
    missing = await result(sales1, ADD_CONTACT, customerId=acme["id"], input={"name": "Eve"})
    assert missing == invalid(("email", "is required by the contact form settings"))
    assert await customer(sales1, acme["id"]) == acme


async def test_contacts_of_customers_you_do_not_manage_are_out_of_reach(
    sales1: GraphQLClient, manager1: GraphQLClient, admin: GraphQLClient, gql: GraphQLClient
) -> None:
    acme = await private_customer(sales1, admin, "Acme", [{"name": "Bob"}])
    bob = acme["contacts"][0]
    sales2 = await gql.as_user("sales2")

    # sales1's private customer is invisible to sales2: "not found", no hint it exists.
    add = await result(sales2, ADD_CONTACT, customerId=acme["id"], input={"name": "Mallory"})
    assert add == not_found("Customer", acme["id"])
    # A contact of an invisible customer is "not found" as itself: nothing names the customer.
    edit = await result(sales2, UPDATE_CONTACT, id=bob["id"], input={"name": "Mallory"})
    assert edit == not_found("Contact", bob["id"])
    assert await customer(sales1, acme["id"]) == acme

    assert await result(sales2, ADD_CONTACT, customerId=99999, input={"name": "X"}) == not_found(
        "Customer", 99999
    )
    assert await result(sales2, UPDATE_CONTACT, id=99999, input={"name": "X"}) == not_found(
        "Contact", 99999
    )

    # The owner's manager may.
    by_manager = await result(manager1, ADD_CONTACT, customerId=acme["id"], input={"name": "Zoe"})
    assert by_manager["__typename"] == "ContactSuccess"
    assert primaries(await customer(sales1, acme["id"])) == [("Bob", True), ("Zoe", False)]


async def test_deleting_the_primary_passes_the_flag_to_the_oldest_remaining(
    sales1: GraphQLClient, manager1: GraphQLClient, admin: GraphQLClient
) -> None:
    acme = await private_customer(
        sales1,
        admin,
        "Acme",
        [{"name": "Ann"}, {"name": "Ben"}, {"name": "Cat", "isPrimary": True}],
    )
    cat, ann, ben = acme["contacts"]
    assert [cat["name"], ann["name"], ben["name"]] == ["Cat", "Ann", "Ben"]
    followed = await result(
        sales1,
        CREATE_FOLLOW_UP,
        customerId=acme["id"],
        input={"content": "Spoke to Cat.", "contactId": cat["id"]},
    )
    assert followed["__typename"] == "FollowUpSuccess"

    # Sales staff have no contact:delete right.
    before = await customer(sales1, acme["id"])
    await forbidden(sales1, DELETE_CONTACT, id=cat["id"])
    assert await customer(sales1, acme["id"]) == before

    deleted = await result(manager1, DELETE_CONTACT, id=cat["id"])
    assert deleted == {"__typename": "DeleteSuccess", "id": cat["id"]}
    found = await customer(sales1, acme["id"])
    assert primaries(found) == [("Ann", True), ("Ben", False)]
    assert found is not None
    # The follow-up stays, without its contact.
    assert (
        found["followUps"]["nodes"][0]["contactId"],
        found["followUps"]["nodes"][0]["contactName"],
    ) == (
        None,
        None,
    )
    # Contacts entered with the customer have no 'create' entry of their own.
    assert await log(manager1, "contact", cat["id"]) == [
        {
            "action": "delete",
            "changes": {"customerId": [acme["id"], None]},
            "actor": {"loginName": "manager1"},
        }
    ]
    # Deleting a non-primary contact leaves the flag where it is.
    assert await result(manager1, DELETE_CONTACT, id=ben["id"]) == {
        "__typename": "DeleteSuccess",
        "id": ben["id"],
    }
    assert primaries(await customer(sales1, acme["id"])) == [("Ann", True)]
    # The last one goes too: no contacts, no primary.
    assert (await result(manager1, DELETE_CONTACT, id=ann["id"]))["__typename"] == "DeleteSuccess"
    found = await customer(sales1, acme["id"])
    assert found is not None
    assert (found["contacts"], found["primaryContact"]) == ([], None)
    assert await result(manager1, DELETE_CONTACT, id=ann["id"]) == not_found("Contact", ann["id"])


async def test_contact_details_are_masked_for_readers_without_the_right(
    admin: GraphQLClient, manager1: GraphQLClient, sales1: GraphQLClient, gql: GraphQLClient
) -> None:
    users = await user_ids(admin)
    sales2 = await gql.as_user("sales2")
    sales3 = await gql.as_user("sales3")
    bob = {"mobile": "13911111111", "phone": "010-88887777", "email": "bob@example.com"}
    public = await create(
        admin, "Open Co", contacts=[{"name": "Bob", **bob}, {"name": "Kim", "phone": "12345"}]
    )
    kim_masked = {"name": "Kim", "mobile": None, "phone": "1****", "email": None}
    bob_masked = {
        "name": "Bob",
        "mobile": "139****1111",
        "phone": "010*****7777",
        "email": "b***@example.com",
    }
    masked = {"contacts": [bob_masked, kim_masked], "primaryContact": bob_masked}
    clear = {
        "contacts": [
            {"name": "Bob", **bob},
            {"name": "Kim", "mobile": None, "phone": "12345", "email": None},
        ],
        "primaryContact": {"name": "Bob", **bob},
    }

    for reader in (sales1, sales2, sales3):
        assert (await reader.data(DETAILS, id=public["id"]))["customer"] == masked
        listed = (await reader.data(LIST_DETAILS, search="Open Co"))["customers"]["edges"]
        assert listed[0]["node"]["contacts"] == [
            {k: v for k, v in c.items() if k != "name"} for c in (bob_masked, kim_masked)
        ]
    for reader in (admin, manager1):  # scope ALL / customer:view_contact_details
        assert (await reader.data(DETAILS, id=public["id"]))["customer"] == clear

    # Once sales1 claims it, sales1 is the owner and sees everything; sales2 still does not.
    claimed = await result(sales1, CLAIM, id=public["id"])
    assert claimed["__typename"] == "CustomerSuccess"
    assert (await sales1.data(DETAILS, id=public["id"]))["customer"] == clear
    assert (await sales2.data(DETAILS, id=public["id"]))["customer"] is None
    # Shared with sales2: sales2 sees the details too; sales3 cannot see it at all.
    shared = await result(sales1, SHARE, customerIds=[public["id"]], userIds=[users["sales2"]])
    assert shared["__typename"] == "CustomersSuccess"
    assert (await sales2.data(DETAILS, id=public["id"]))["customer"] == clear
    assert (await sales3.data(CUSTOMER, id=public["id"]))["customer"] is None
