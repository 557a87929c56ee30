"""Customers (F2.1, F2.2, F2.6, F2.7): entry with contacts and form rules, edits, the lists,
their filters, sort orders and keyset pages, and the quick search."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from gql_crm.db.models import User
from gql_crm.db.scopes import load_principal
from gql_crm.services.customer import CustomerFilter, customer_query
from tests.conftest import START
from tests.fixtures.errors import invalid, not_found
from tests.fixtures.graphql import (
    CREATE_CUSTOMER,
    CREATE_FOLLOW_UP,
    CUSTOMERS,
    FORM_SETTINGS,
    SHARE,
    TRANSFER_TO_POOL,
    UPDATE_CUSTOMER,
    create,
    customer,
    customer_log,
    customers,
    maturity_ids,
    names,
    option_ids,
    result,
    set_duplicate_rule,
    total,
    update_form,
)
from tests.fixtures.users import user_ids
from tests.graphql_client import GraphQLClient

T0 = START.isoformat()
NOT_YOURS = (
    "Only the owner, their managers or an administrator may change this customer; "
    "claim it first if it is in a pool."
)


def contact(
    name: str,
    *,
    mobile: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    is_primary: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "name": name,
        "mobile": mobile,
        "phone": phone,
        "email": email,
        "isPrimary": is_primary,
        **extra,
    }


def cursor(values: object) -> str:
    """A cursor in the server's encoding (base64url JSON), for forging bad ones."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def contact_summary(found: dict[str, Any]) -> list[tuple[str, bool]]:
    return [(c["name"], c["isPrimary"]) for c in found["contacts"]]


# --- create ---------------------------------------------------------------------------------


async def test_an_enterprise_customer_round_trips_every_field(
    sales1: GraphQLClient, admin: GraphQLClient
) -> None:
    options = await option_ids(admin)
    grades = await maturity_ids(admin)
    users = await user_ids(admin)

    created = await create(
        sales1,
        "  Acme Trading Co.  ",
        contacts=[
            contact(
                " Bob Stone ",
                mobile="13911111111",
                phone="010-8888 7777",
                email="bob@acme.example",
                gender="male",
                title="Buyer",
            ),
            contact("Carol White", email="carol@acme.example"),
        ],
        kind="ENTERPRISE",
        shortName="Acme",
        acquiredOn="2025-11-30",
        categoryId=options["CATEGORY"]["VIP customer"],
        sourceId=options["SOURCE"]["Referral"],
        statusId=options["STATUS"]["Intent"],
        industryId=options["INDUSTRY"]["Retail"],
        maturityId=grades["B"],
        city="Shanghai",
        address="1 Bund Road",
        website="https://acme.example",
        remarks="Met at the spring fair.",
    )

    customer_id = created["id"]
    bob, carol = created["contacts"]
    assert created == {
        "id": customer_id,
        "kind": "ENTERPRISE",
        "name": "Acme Trading Co.",
        "shortName": "Acme",
        "acquiredOn": "2025-11-30",
        "city": "Shanghai",
        "address": "1 Bund Road",
        "website": "https://acme.example",
        "remarks": "Met at the spring fair.",
        "pool": "PRIVATE",
        "poolEnteredAt": T0,
        "temporaryOrigin": None,
        "lastFollowUpAt": None,
        "closedWonAt": None,
        "createdAt": T0,
        "updatedAt": T0,
        "deletedAt": None,
        "ownerId": users["sales1"],
        "categoryId": options["CATEGORY"]["VIP customer"],
        "sourceId": options["SOURCE"]["Referral"],
        "statusId": options["STATUS"]["Intent"],
        "industryId": options["INDUSTRY"]["Retail"],
        "maturityId": grades["B"],
        "category": {"label": "VIP customer"},
        "source": {"label": "Referral"},
        "status": {"label": "Intent"},
        "industry": {"label": "Retail"},
        "maturity": {"label": "B", "pool": "PRIVATE"},
        "owner": {"loginName": "sales1"},
        "sharedWith": [],
        "poolRelease": {
            "at": (START + timedelta(days=30)).isoformat(),
            "reason": "not contacted within the private-pool no-contact time",
        },
        "contacts": [
            {
                "id": bob["id"],
                "customerId": customer_id,
                "name": "Bob Stone",
                "gender": "male",
                "mobile": "13911111111",
                "phone": "010-8888 7777",
                "email": "bob@acme.example",
                "title": "Buyer",
                "isPrimary": True,  # the first contact, as none was marked
                "createdAt": T0,
                "updatedAt": T0,
            },
            {
                "id": carol["id"],
                "customerId": customer_id,
                "name": "Carol White",
                "gender": None,
                "mobile": None,
                "phone": None,
                "email": "carol@acme.example",
                "title": None,
                "isPrimary": False,
                "createdAt": T0,
                "updatedAt": T0,
            },
        ],
        "primaryContact": {"id": bob["id"], "name": "Bob Stone"},
        "followUps": {"nodes": []},
    }
    assert await customer(sales1, customer_id) == created
    assert await customer_log(sales1, customer_id) == [
        {
            "action": "create",
            "changes": {"pool": [None, "private"], "ownerId": [None, users["sales1"]]},
            "actor": {"loginName": "sales1"},
        }
    ]


async def test_an_individual_customer_keeps_the_contact_marked_primary(
    sales1: GraphQLClient, grades: dict[str, int]
) -> None:
    created = await create(
        sales1,
        "Chen Jie",
        contacts=[
            contact("Chen Jie", mobile="13922222222"),
            contact("Chen Wife", mobile="13933333333", is_primary=True),
            contact("Chen Son"),
        ],
        kind="INDIVIDUAL",
        maturityId=grades["E"],
        shortName="   ",
    )

    assert created["kind"] == "INDIVIDUAL"
    assert created["shortName"] is None  # blank text is stored as nothing
    assert (created["pool"], created["temporaryOrigin"]) == ("TEMPORARY", "ENTERED")
    assert created["maturity"] == {"label": "E", "pool": "TEMPORARY"}
    assert created["poolRelease"] == {
        "at": (START + timedelta(days=7)).isoformat(),
        "reason": "no follow-up within the temporary-pool release time",
    }
    # The primary contact is listed first, then the others by age.
    assert contact_summary(created) == [
        ("Chen Wife", True),
        ("Chen Jie", False),
        ("Chen Son", False),
    ]
    assert created["primaryContact"]["name"] == "Chen Wife"
    assert await customer(sales1, created["id"]) == created


async def test_without_a_public_maturity_the_customer_goes_to_the_public_pool(
    sales1: GraphQLClient, grades: dict[str, int]
) -> None:
    no_grade = await create(sales1, "Nobody's Ltd")
    public_grade = await create(sales1, "Graded G Ltd", maturityId=grades["G"])

    for created in (no_grade, public_grade):
        assert (created["pool"], created["ownerId"], created["owner"]) == ("PUBLIC", None, None)
        assert created["contacts"] == []
        assert created["primaryContact"] is None
        assert created["poolRelease"] is None
    assert await names(sales1, filter={"view": "MINE"}) == []
    assert sorted(await names(sales1, filter={"view": "PUBLIC"})) == [
        "Graded G Ltd",
        "Nobody's Ltd",
    ]


async def test_two_primary_contacts_are_refused(
    sales1: GraphQLClient, admin: GraphQLClient
) -> None:
    before = await total(admin)
    refused = await result(
        sales1,
        CREATE_CUSTOMER,
        input={"name": "Two Heads Ltd"},
        contacts=[contact("One", is_primary=True), contact("Two", is_primary=True)],
    )
    assert refused == invalid(("contacts", "a customer has at most one primary contact"))
    assert await total(admin) == before
    assert await names(admin, filter={"search": "Two Heads"}) == []


BAD_INPUTS: list[tuple[str, dict[str, Any], list[dict[str, Any]], list[tuple[str, str]]]] = [
    (
        "a source option given as category",
        {"categoryId": ("SOURCE", "Partner")},
        [],
        [("categoryId", "option {SOURCE/Partner} is not in the category list")],
    ),
    (
        "an unknown source",
        {"sourceId": 99999},
        [],
        [("sourceId", "option 99999 is not in the source list")],
    ),
    (
        "an industry option given as status",
        {"statusId": ("INDUSTRY", "Retail")},
        [],
        [("statusId", "option {INDUSTRY/Retail} is not in the status list")],
    ),
    (
        "a follow-up method given as industry",
        {"industryId": ("FOLLOW_UP_METHOD", "Visit")},
        [],
        [("industryId", "option {FOLLOW_UP_METHOD/Visit} is not in the industry list")],
    ),
    (
        "an unknown maturity",
        {"maturityId": 99999},
        [],
        [("maturityId", "maturity option 99999 does not exist")],
    ),
    (
        "a name of 201 characters",
        {"name": "x" * 201},
        [],
        [("name", "must have at most 200 characters (has 201)")],
    ),
    ("a blank name", {"name": "   "}, [], [("name", "must not be empty")]),
    (
        "an over-long city",
        {"city": "c" * 101},
        [],
        [("city", "must have at most 100 characters (has 101)")],
    ),
    (
        "a malformed contact phone",
        {},
        [contact("Bob", phone="call me")],
        [
            (
                "contacts[0].phone",
                "'call me' is not a phone number (digits, spaces, '+', '-', parentheses)",
            )
        ],
    ),
    (
        "a malformed contact e-mail",
        {},
        [contact("Bob", email="bob@example.com"), contact("Eve", email="eve(at)example")],
        [("contacts[1].email", "'eve(at)example' is not an e-mail address")],
    ),
    (
        "a malformed mobile and an unknown gender",
        {},
        [contact("Bob", mobile="12", gender="robot")],
        [
            (
                "contacts[0].mobile",
                "'12' is not a phone number (digits, spaces, '+', '-', parentheses)",
            ),
            ("contacts[0].gender", "must be one of male, female, other"),
        ],
    ),
    (
        "every problem at once",
        {"name": "", "sourceId": 99999},
        [contact(" ", email="nope")],
        [
            ("name", "must not be empty"),
            ("sourceId", "option 99999 is not in the source list"),
            ("contacts[0].name", "must not be empty"),
            ("contacts[0].email", "'nope' is not an e-mail address"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("fields", "contacts", "problems"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
async def test_bad_input_is_refused_and_nothing_is_created(
    sales1: GraphQLClient,
    admin: GraphQLClient,
    fields: dict[str, Any],
    contacts: list[dict[str, Any]],
    problems: list[tuple[str, str]],
) -> None:
    options = await option_ids(admin)
    # ("LIST", "label") stands for that option's id, also inside the expected messages.
    given = {
        key: options[value[0]][value[1]] if isinstance(value, tuple) else value
        for key, value in fields.items()
    }
    expected = []
    for field, message in problems:
        for list_name, labels in options.items():
            for label, option_id in labels.items():
                message = message.replace(f"{{{list_name}/{label}}}", str(option_id))
        expected.append((field, message))
    before = await total(admin)

    refused = await result(
        sales1,
        CREATE_CUSTOMER,
        input={"name": "Refused Ltd", **given},
        contacts=contacts,
    )

    assert refused == invalid(*expected)
    assert await total(admin) == before
    assert await names(admin, filter={"search": "Refused"}) == []


async def test_a_required_company_field_must_be_given(
    admin: GraphQLClient, sales1: GraphQLClient
) -> None:
    changed = await update_form(admin, "COMPANY", ("city", True, True))
    assert changed["__typename"] == "FormSettingsSuccess"
    assert {"field": "city", "shown": True, "required": True} in changed["settings"]["fields"]
    before = await total(admin)

    for city in (None, "   "):
        refused = await result(sales1, CREATE_CUSTOMER, input={"name": "No City Ltd", "city": city})
        assert refused == invalid(("city", "is required by the company form settings"))
    assert await total(admin) == before

    grades = await maturity_ids(admin)
    created = await create(sales1, "City Ltd", city="Hangzhou", maturityId=grades["A"])
    assert created["city"] == "Hangzhou"
    # Edits are held to the same rule: clearing the city is refused.
    refused = await result(
        sales1,
        UPDATE_CUSTOMER,
        id=created["id"],
        input={"name": "City Ltd", "city": None},
    )
    assert refused == invalid(("city", "is required by the company form settings"))
    assert (await customer(sales1, created["id"]) or {})["city"] == "Hangzhou"


async def test_a_required_contact_field_must_be_given_for_every_contact(
    admin: GraphQLClient, sales1: GraphQLClient
) -> None:
    changed = await update_form(admin, "CONTACT", ("mobile", True, True))
    assert changed["__typename"] == "FormSettingsSuccess"
    form = (await admin.data(FORM_SETTINGS, form="CONTACT"))["formSettings"]
    assert {"field": "mobile", "shown": True, "required": True} in form["fields"]
    before = await total(admin)

    refused = await result(
        sales1,
        CREATE_CUSTOMER,
        input={"name": "Unreachable Ltd"},
        contacts=[contact("Bob"), contact("Eve", mobile="13955556666"), contact("Mia")],
    )
    assert refused == invalid(
        ("contacts[0].mobile", "is required by the contact form settings"),
        ("contacts[2].mobile", "is required by the contact form settings"),
    )
    assert await total(admin) == before

    created = await create(sales1, "Reachable Ltd", contacts=[contact("Bob", mobile="13955556666")])
    assert contact_summary(created) == [("Bob", True)]
    # A customer without any contact is still fine: the rule is about each contact.
    assert (await create(sales1, "No Contacts Ltd"))["contacts"] == []


async def test_page_size_over_the_cap_and_bad_cursors_are_bad_user_input(
    admin: GraphQLClient,
) -> None:
    await create(admin, "Only Ltd")
    name_cursor = (await customers(admin, sort={"field": "NAME"}))["pageInfo"]["endCursor"]
    for arguments in (
        {"first": 101},
        {"first": -1},
        {"after": "not-a-cursor"},
        {"after": cursor([1]), "sort": {"field": "NAME"}},  # too short
        {"after": cursor([7, 1]), "sort": {"field": "NAME"}},  # a number for a name
        # A cursor of another sort order does not fit this one.
        {"after": name_cursor, "sort": {"field": "ACQUIRED_ON"}},
    ):
        body = await admin.execute(CUSTOMERS, **arguments)
        assert body["data"] is None, arguments
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert (await customers(admin, first=100))["totalCount"] == 1
    nested = await admin.execute(
        "{ customers { edges { node { followUps(first: 101) { nodes { id } } } } } }"
    )
    assert [e["extensions"]["code"] for e in nested["errors"]] == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("sort_field", ["CREATED_AT", "LAST_FOLLOW_UP_AT"])
async def test_a_cursor_that_does_not_fit_a_timestamp_sort_is_bad_user_input(
    admin: GraphQLClient, sort_field: str
) -> None:
    await create(admin, "Only Ltd")
    name_cursor = (await customers(admin, sort={"field": "NAME"}))["pageInfo"]["endCursor"]
    for after in (name_cursor, cursor(["x", 1]), cursor([{"t": "2026-03-02T09:00:00"}, 1])):
        body = await admin.execute(CUSTOMERS, sort={"field": sort_field}, after=after)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"], after


# --- update ---------------------------------------------------------------------------------


async def test_update_customer_edits_fields_and_logs_the_changes(
    sales1: GraphQLClient, admin: GraphQLClient, clock: FrozenClock
) -> None:
    options = await option_ids(admin)
    grades = await maturity_ids(admin)
    created = await create(
        sales1,
        "Acme",
        contacts=[contact("Bob", mobile="13911111111")],
        categoryId=options["CATEGORY"]["Normal customer"],
        maturityId=grades["A"],
        city="Shanghai",
    )
    clock.advance(timedelta(hours=1))

    updated = await result(
        sales1,
        UPDATE_CUSTOMER,
        id=created["id"],
        input={
            "kind": "ENTERPRISE",
            "name": " Acme Group ",
            "categoryId": options["CATEGORY"]["VIP customer"],
            "statusId": options["STATUS"]["Potential"],
            "maturityId": grades["A"],
            "city": "Suzhou",
            "website": "https://acme.example",
        },
    )

    assert updated["__typename"] == "CustomerSuccess", updated
    expected = {
        **created,
        "name": "Acme Group",
        "categoryId": options["CATEGORY"]["VIP customer"],
        "category": {"label": "VIP customer"},
        "statusId": options["STATUS"]["Potential"],
        "status": {"label": "Potential"},
        "city": "Suzhou",
        "website": "https://acme.example",
        "updatedAt": clock.now().isoformat(),
    }
    assert updated["customer"] == expected
    assert await customer(sales1, created["id"]) == expected
    entries = await customer_log(sales1, created["id"])
    assert [entry["action"] for entry in entries] == ["update", "create"]
    assert entries[0] == {
        "action": "update",
        "changes": {
            "name": ["Acme", "Acme Group"],
            "categoryId": [
                options["CATEGORY"]["Normal customer"],
                options["CATEGORY"]["VIP customer"],
            ],
            "statusId": [None, options["STATUS"]["Potential"]],
            "city": ["Shanghai", "Suzhou"],
            "website": [None, "https://acme.example"],
        },
        "actor": {"loginName": "sales1"},
    }


async def test_an_update_changes_only_the_fields_given_and_null_clears(
    sales1: GraphQLClient, admin: GraphQLClient, grades: dict[str, int]
) -> None:
    users = await user_ids(admin)
    created = await create(
        sales1, "Partial Ltd", maturityId=grades["A"], city="Suzhou", remarks="Keep me"
    )
    renamed = await result(sales1, UPDATE_CUSTOMER, id=created["id"], input={"website": "x.cn"})
    assert renamed["__typename"] == "CustomerSuccess", renamed
    after = renamed["customer"]
    assert (after["name"], after["city"], after["remarks"], after["website"]) == (
        "Partial Ltd",
        "Suzhou",
        "Keep me",
        "x.cn",
    )
    # Leaving the maturity out keeps the customer in its pool with its owner.
    assert (after["pool"], after["ownerId"]) == ("PRIVATE", users["sales1"])
    assert (await customer_log(sales1, created["id"]))[0]["changes"] == {"website": [None, "x.cn"]}

    cleared = await result(sales1, UPDATE_CUSTOMER, id=created["id"], input={"remarks": None})
    assert cleared["customer"]["remarks"] is None
    assert cleared["customer"]["city"] == "Suzhou"
    refused = await result(sales1, UPDATE_CUSTOMER, id=created["id"], input={"name": None})
    assert refused == invalid(("name", "cannot be cleared"))
    assert (await customer(sales1, created["id"]) or {})["name"] == "Partial Ltd"


async def test_changing_acquired_on_is_saved_and_logged(
    sales1: GraphQLClient, grades: dict[str, int]
) -> None:
    created = await create(sales1, "Acme", maturityId=grades["A"], acquiredOn="2025-01-01")
    updated = await result(
        sales1,
        UPDATE_CUSTOMER,
        id=created["id"],
        input={"name": "Acme", "maturityId": grades["A"], "acquiredOn": "2025-02-03"},
    )
    assert updated["__typename"] == "CustomerSuccess"
    assert (await customer(sales1, created["id"]) or {})["acquiredOn"] == "2025-02-03"
    assert (await customer_log(sales1, created["id"]))[0]["changes"] == {
        "acquiredOn": ["2025-01-01", "2025-02-03"]
    }


async def test_a_maturity_change_moves_the_customer_between_pools(
    sales1: GraphQLClient, admin: GraphQLClient, clock: FrozenClock, grades: dict[str, int]
) -> None:
    users = await user_ids(admin)
    created = await create(sales1, "Grower", maturityId=grades["A"])
    clock.advance(timedelta(hours=2))

    moved = await result(
        sales1,
        UPDATE_CUSTOMER,
        id=created["id"],
        input={"name": "Grower", "maturityId": grades["D"]},
    )
    assert moved["__typename"] == "CustomerSuccess"
    assert (moved["customer"]["pool"], moved["customer"]["ownerId"]) == (
        "TEMPORARY",
        users["sales1"],
    )
    assert moved["customer"]["temporaryOrigin"] == "ENTERED"
    assert moved["customer"]["poolEnteredAt"] == clock.now().isoformat()

    released = await result(
        sales1,
        UPDATE_CUSTOMER,
        id=created["id"],
        input={"name": "Grower", "maturityId": grades["H"]},
    )
    assert released["__typename"] == "CustomerSuccess"
    assert (released["customer"]["pool"], released["customer"]["ownerId"]) == ("PUBLIC", None)
    assert [e["changes"] for e in await customer_log(sales1, created["id"])][:2] == [
        {
            "maturityId": [grades["D"], grades["H"]],
            "pool": ["temporary", "public"],
            "ownerId": [users["sales1"], None],
        },
        {"maturityId": [grades["A"], grades["D"]], "pool": ["private", "temporary"]},
    ]


async def test_bad_input_on_update_changes_nothing(
    sales1: GraphQLClient, grades: dict[str, int]
) -> None:
    created = await create(sales1, "Steady Ltd", city="Ningbo", maturityId=grades["A"])
    refused = await result(
        sales1, UPDATE_CUSTOMER, id=created["id"], input={"name": "y" * 201, "sourceId": 99999}
    )
    assert refused == invalid(
        ("name", "must have at most 200 characters (has 201)"),
        ("sourceId", "option 99999 is not in the source list"),
    )
    assert await customer(sales1, created["id"]) == created


async def test_only_the_owner_and_their_managers_may_update(
    sales1: GraphQLClient, manager1: GraphQLClient, gql: GraphQLClient, grades: dict[str, int]
) -> None:
    created = await create(sales1, "Guarded Ltd", maturityId=grades["A"], city="Xiamen")
    sales2 = await gql.as_user("sales2")
    sales3 = await gql.as_user("sales3")

    for intruder in (sales2, sales3):
        refused = await result(
            intruder, UPDATE_CUSTOMER, id=created["id"], input={"name": "Stolen Ltd"}
        )
        # Invisible to them, so it is "not found" (no hint that it exists).
        assert refused == not_found("Customer", created["id"])
        assert await customer(intruder, created["id"]) is None
    assert await customer(sales1, created["id"]) == created
    assert [e["action"] for e in await customer_log(sales1, created["id"])] == ["create"]

    missing = await result(sales2, UPDATE_CUSTOMER, id=99999, input={"name": "Ghost"})
    assert missing == not_found("Customer", 99999)

    # The owner's manager may edit it.
    updated = await result(
        manager1,
        UPDATE_CUSTOMER,
        id=created["id"],
        input={"name": "Guarded Ltd", "maturityId": grades["A"], "city": "Fuzhou"},
    )
    assert updated["__typename"] == "CustomerSuccess"
    assert (await customer(sales1, created["id"]) or {})["city"] == "Fuzhou"


async def test_updating_a_customer_you_cannot_see_is_not_found(
    sales1: GraphQLClient, gql: GraphQLClient, grades: dict[str, int]
) -> None:
    created = await create(sales1, "Hidden Ltd", maturityId=grades["A"])
    sales2 = await gql.as_user("sales2")
    assert await customer(sales2, created["id"]) is None
    refused = await result(sales2, UPDATE_CUSTOMER, id=created["id"], input={"name": "X"})
    assert refused == not_found("Customer", created["id"])


# --- lists ----------------------------------------------------------------------------------


async def test_the_customer_views(
    admin: GraphQLClient, manager1: GraphQLClient, sales1: GraphQLClient, gql: GraphQLClient
) -> None:
    grades = await maturity_ids(admin)
    users = await user_ids(admin)
    sales2 = await gql.as_user("sales2")
    sales3 = await gql.as_user("sales3")
    s1_private = await create(sales1, "S1 Private", maturityId=grades["A"])
    s1_temporary = await create(sales1, "S1 Temporary", maturityId=grades["D"])
    await create(sales2, "S2 Private", maturityId=grades["B"])
    await create(sales3, "S3 Private", maturityId=grades["C"])
    await create(manager1, "M1 Private", maturityId=grades["A"])
    await create(admin, "Public One")
    special = await create(admin, "Special One", maturityId=grades["A"])
    moved = await result(admin, TRANSFER_TO_POOL, customerIds=[special["id"]], pool="SPECIAL")
    assert moved["__typename"] == "CustomersSuccess"
    shared = await result(
        sales1, SHARE, customerIds=[s1_temporary["id"]], userIds=[users["sales2"]]
    )
    assert shared["__typename"] == "CustomersSuccess"

    async def view(client: GraphQLClient, name: str) -> list[str]:
        return sorted(await names(client, filter={"view": name}))

    assert await view(manager1, "MINE") == ["M1 Private"]
    assert await view(manager1, "SUBORDINATES") == ["S1 Private", "S1 Temporary", "S2 Private"]
    assert await view(manager1, "PUBLIC") == ["Public One"]
    assert await view(manager1, "SPECIAL") == ["Special One"]
    assert await view(manager1, "SHARED") == []
    assert await view(manager1, "ALL") == [
        "M1 Private",
        "Public One",
        "S1 Private",
        "S1 Temporary",
        "S2 Private",
        "Special One",
    ]

    assert await view(sales1, "MINE") == ["S1 Private", "S1 Temporary"]
    assert await view(sales1, "SUBORDINATES") == []
    assert await view(sales1, "ALL") == ["Public One", "S1 Private", "S1 Temporary", "Special One"]

    assert await view(sales2, "MINE") == ["S2 Private"]
    assert await view(sales2, "SHARED") == ["S1 Temporary"]
    assert await view(sales2, "ALL") == ["Public One", "S1 Temporary", "S2 Private", "Special One"]
    assert await customer(sales2, s1_private["id"]) is None

    assert await view(sales3, "ALL") == ["Public One", "S3 Private", "Special One"]

    assert await view(admin, "MINE") == []
    assert await view(admin, "SUBORDINATES") == [
        "M1 Private",
        "S1 Private",
        "S1 Temporary",
        "S2 Private",
        "S3 Private",
    ]
    assert (await customers(admin, first=0))["totalCount"] == 7


async def test_list_filters_combine(
    admin: GraphQLClient, sales1: GraphQLClient, manager1: GraphQLClient
) -> None:
    options = await option_ids(admin)
    grades = await maturity_ids(admin)
    users = await user_ids(admin)
    vip, normal = options["CATEGORY"]["VIP customer"], options["CATEGORY"]["Normal customer"]
    intent, potential = options["STATUS"]["Intent"], options["STATUS"]["Potential"]
    await create(sales1, "A", categoryId=vip, statusId=intent, maturityId=grades["A"])
    await create(
        sales1, "B", kind="INDIVIDUAL", categoryId=vip, statusId=potential, maturityId=grades["D"]
    )
    await create(manager1, "C", categoryId=vip, statusId=intent, maturityId=grades["A"])
    await create(manager1, "D", kind="INDIVIDUAL", categoryId=normal, maturityId=grades["B"])
    await create(admin, "E", categoryId=vip, statusId=intent)
    await create(admin, "F", kind="INDIVIDUAL", categoryId=normal, statusId=intent)

    async def matching(**filters: Any) -> list[str]:
        return sorted(await names(manager1, filter=filters))

    assert await matching() == ["A", "B", "C", "D", "E", "F"]
    assert await matching(pool="PRIVATE") == ["A", "C", "D"]
    assert await matching(pool="PUBLIC") == ["E", "F"]
    assert await matching(categoryId=vip) == ["A", "B", "C", "E"]
    assert await matching(categoryId=vip, statusId=intent) == ["A", "C", "E"]
    assert await matching(categoryId=vip, statusId=intent, pool="PRIVATE") == ["A", "C"]
    assert await matching(categoryId=vip, ownerId=users["sales1"]) == ["A", "B"]
    assert await matching(maturityId=grades["A"]) == ["A", "C"]
    assert await matching(maturityId=grades["A"], ownerId=users["manager1"]) == ["C"]
    assert await matching(kind="INDIVIDUAL") == ["B", "D", "F"]
    assert await matching(kind="INDIVIDUAL", pool="PUBLIC") == ["F"]
    assert await matching(kind="INDIVIDUAL", categoryId=vip, view="MINE") == []
    assert await matching(kind="INDIVIDUAL", view="SUBORDINATES") == ["B"]
    assert await matching(statusId=potential, pool="PRIVATE") == []
    filtered = await customers(manager1, filter={"categoryId": vip, "statusId": intent}, first=1)
    assert filtered["totalCount"] == 3
    assert len(filtered["edges"]) == 1
    assert filtered["pageInfo"]["hasNextPage"] is True


# Seven customers: (name, acquired on, last follow-up as minutes before START, or None).
SORT_DATA: list[tuple[str, str | None, int | None]] = [
    ("Delta", "2025-05-01", 300),
    ("Alpha", None, None),
    ("Foxtrot", "2025-01-15", 60),
    ("Charlie", "2025-05-01", None),
    ("Delta", None, 300),
    ("Echo", "2024-12-31", 30),
    ("Bravo", "2025-03-03", 600),
]


@pytest.mark.parametrize("sort_field", ["NAME", "CREATED_AT", "ACQUIRED_ON", "LAST_FOLLOW_UP_AT"])
async def test_sort_orders_walk_in_keyset_pages(
    admin: GraphQLClient, clock: FrozenClock, sort_field: str
) -> None:
    await set_duplicate_rule(admin, name=False, phone=False, email=False)  # names tie here
    rows: list[dict[str, Any]] = []
    for name, acquired_on, minutes_ago in SORT_DATA:
        clock.advance(timedelta(minutes=1))  # every customer has its own creation time
        created = await create(admin, name, acquiredOn=acquired_on)
        if minutes_ago is not None:
            followed = await result(
                admin,
                CREATE_FOLLOW_UP,
                customerId=created["id"],
                input={
                    "content": "Called.",
                    "followedAt": (START - timedelta(minutes=minutes_ago)).isoformat(),
                },
            )
            assert followed["__typename"] == "FollowUpSuccess", followed
        rows.append(
            {
                "id": created["id"],
                "name": name,
                "acquiredOn": acquired_on,
                "lastFollowUpAt": (
                    None
                    if minutes_ago is None
                    else (START - timedelta(minutes=minutes_ago)).isoformat()
                ),
                "createdAt": created["createdAt"],
            }
        )

    key = {
        "NAME": "name",
        "CREATED_AT": "createdAt",
        "ACQUIRED_ON": "acquiredOn",
        "LAST_FOLLOW_UP_AT": "lastFollowUpAt",
    }[sort_field]
    for direction in ("ASC", "DESC"):
        # Empty dates sort as the earliest; ties are broken by id in the same direction.
        expected = sorted(
            rows,
            key=lambda row: (row[key] is not None, row[key] or "", row["id"]),
            reverse=direction == "DESC",
        )
        sort = {"field": sort_field, "direction": direction}
        whole = await customers(admin, sort=sort, first=100)
        assert [edge["node"] for edge in whole["edges"]] == expected, direction

        walked: list[dict[str, Any]] = []
        after: str | None = None
        pages = 0
        while True:
            page = await customers(admin, sort=sort, first=2, after=after)
            pages += 1
            assert page["totalCount"] == len(rows)
            assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
            walked += [edge["node"] for edge in page["edges"]]
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert pages == 4
        assert walked == expected, (sort_field, direction)


async def test_quick_search_covers_names_and_contact_details(
    sales1: GraphQLClient, manager1: GraphQLClient, admin: GraphQLClient, gql: GraphQLClient
) -> None:
    grades = await maturity_ids(admin)
    await create(
        sales1,
        "Acme Trading",
        contacts=[contact("Bob Stone", mobile="13912345678", email="bob@north.example")],
        shortName="ACM",
        maturityId=grades["A"],
    )
    await create(
        admin,
        "Northwind",
        contacts=[contact("Alice Chen", phone="010-8888 7777", email="alice@nw.example")],
        shortName="NW Ltd",
    )
    await create(admin, "100% Cotton")
    await create(admin, "100 Cotton Co")
    await create(admin, "a_b Works")
    await create(admin, "axb Works")
    await create(admin, "In/Out Works")  # '/' is the escape character of the LIKE pattern
    await create(admin, "C:\\Data Works")

    async def search(client: GraphQLClient, term: str) -> list[str]:
        return sorted(await names(client, filter={"search": term}))

    cases = {
        "TRADING": ["Acme Trading"],  # company name, any case
        "acm": ["Acme Trading"],
        "nw ltd": ["Northwind"],  # short name
        "alice": ["Northwind"],  # contact name
        "BOB sto": ["Acme Trading"],
        "1234567": ["Acme Trading"],  # mobile
        "8888 7777": ["Northwind"],  # phone
        "@NORTH.ex": ["Acme Trading"],  # e-mail
        "  cotton  ": sorted(["100 Cotton Co", "100% Cotton"]),
        "100%": ["100% Cotton"],  # '%' is literal
        "%": ["100% Cotton"],
        "a_b": ["a_b Works"],  # '_' is literal
        "_": ["a_b Works"],
        "/": ["In/Out Works"],
        "n/o": ["In/Out Works"],
        "\\d": ["C:\\Data Works"],
        "zzz": [],
    }
    for term, expected in cases.items():
        assert await search(manager1, term) == expected, term
    every = await search(manager1, "")
    assert len(every) == 8
    found = await customers(manager1, filter={"search": "works"})
    assert found["totalCount"] == 4

    # Only within what the caller may see: Acme Trading is sales1's private customer.
    sales2 = await gql.as_user("sales2")
    sales3 = await gql.as_user("sales3")
    for outsider in (sales2, sales3):
        for term in ("TRADING", "bob", "1234567", "@north"):
            assert await search(outsider, term) == [], term
        assert await search(outsider, "alice") == ["Northwind"]
    assert await search(sales1, "1234567") == ["Acme Trading"]


# --- the search index (PostgreSQL) ------------------------------------------------------------

INDEX_ROWS = 10_000  # at 2,000 rows PostgreSQL rightly prefers a sequential scan


async def _fill_and_explain(database: Database, sql_of: str) -> str:
    """Insert INDEX_ROWS customers (each with a contact), VACUUM ANALYZE, EXPLAIN a statement."""
    if database.dialect != "postgresql":
        pytest.skip("trigram indexes exist on PostgreSQL only")
    async with database.writer() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO customers (kind, name, pool, pool_entered_at, created_at, updated_at) "
                "SELECT 'enterprise', 'Company ' || md5(g::text), 'public', now(), now(), now() "
                "FROM generate_series(1, :rows) AS g"
            ),
            {"rows": INDEX_ROWS},
        )
        await session.execute(
            text(
                "INSERT INTO contacts (customer_id, name, mobile, is_primary, created_at, "
                "updated_at) SELECT id, 'Person ' || md5(id::text), '139' || lpad(id::text, 8, "
                "'0'), true, now(), now() FROM customers"
            )
        )
    async with database.engine.connect() as connection:
        # VACUUM too: earlier tests' rows, deleted, still sit in the tables and their indexes.
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql("VACUUM ANALYZE customers")
        await autocommit.exec_driver_sql("VACUUM ANALYZE contacts")
        if sql_of == "plain":
            sql = "SELECT id FROM customers WHERE name ILIKE '%acme%'"
        else:
            async with database.reader() as session:
                admin = await session.scalar(select(User).where(User.login_name == "admin"))
                assert admin is not None
                principal = await load_principal(session, admin.id, admin.token_version)
            assert principal is not None
            stmt = customer_query(principal, CustomerFilter(search="acme"))
            compiled = stmt.compile(
                dialect=database.engine.dialect, compile_kwargs={"literal_binds": True}
            )
            sql = str(compiled)
        rows = (await connection.exec_driver_sql(f"EXPLAIN {sql}")).all()
    return "\n".join(str(row[0]) for row in rows)


async def test_the_trigram_index_serves_a_name_search_at_this_size(database: Database) -> None:
    """The control for the next test: the index exists and the planner uses it at this size."""
    started = time.monotonic()
    plan = await _fill_and_explain(database, "plain")
    assert "ix_customers_name_trgm" in plan, plan
    assert time.monotonic() - started < 10


async def test_quick_search_uses_the_trigram_index(database: Database) -> None:
    plan = await _fill_and_explain(database, "search")
    assert "ix_customers_name_trgm" in plan, plan
