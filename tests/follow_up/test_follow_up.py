"""Follow-up records (F4.2): who may write and edit them, their checks, and the customer's
follow-up clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from gql_crm.clock import FrozenClock
from gql_crm.db.models import FollowUp
from gql_crm.services.unit_of_work import Services
from tests.conftest import START
from tests.fixtures.errors import error, forbidden, invalid, not_found
from tests.fixtures.factories import make_customer
from tests.fixtures.graphql import (
    CLAIM,
    CREATE_FOLLOW_UP,
    DELETE_FOLLOW_UP,
    FOLLOW_UP_FIELDS,
    SHARE,
    UPDATE_FOLLOW_UP,
    create,
    customer,
    delete,
    log,
    maturity_ids,
    mutation_of,
    option_ids,
    result,
    succeeded,
    success,
)
from tests.fixtures.statements import counted_data
from tests.fixtures.users import user_ids
from tests.graphql_client import GraphQLClient

NOT_YOURS = (
    "Only the owner, their managers and colleagues it is shared with may follow up this "
    "customer; claim it first if it is in a pool."
)
FOLLOW_UPS = """
query($id: Int!, $first: Int!) {
  customer(id: $id) {
    lastFollowUpAt poolRelease { at } followUps(first: $first) { nodes { content } }
  }
}
"""


def iso(moment: datetime) -> str:
    return moment.isoformat()


async def private_customer(
    owner: GraphQLClient, admin: GraphQLClient, name: str = "Acme"
) -> dict[str, Any]:
    grades = await maturity_ids(admin)
    return await create(
        owner,
        name,
        contacts=[{"name": "Bob", "mobile": "13911111111"}, {"name": "Carol"}],
        maturityId=grades["A"],
    )


async def follow(
    client: GraphQLClient, customer_id: int, content: str, at: datetime | None = None
) -> dict[str, Any]:
    """A follow-up that must be accepted."""
    fields: dict[str, Any] = {"content": content}
    if at is not None:
        fields["followedAt"] = iso(at)
    created = await result(client, CREATE_FOLLOW_UP, customerId=customer_id, input=fields)
    return succeeded(created, "FollowUpSuccess", "followUp")


async def timeline(client: GraphQLClient, customer_id: int, first: int = 20) -> dict[str, Any]:
    found: dict[str, Any] = (await client.data(FOLLOW_UPS, id=customer_id, first=first))["customer"]
    return found


async def test_a_follow_up_is_recorded_and_restarts_the_clock(
    sales1: GraphQLClient, admin: GraphQLClient, clock: FrozenClock
) -> None:
    options = await option_ids(admin)
    users = await user_ids(admin)
    acme = await private_customer(sales1, admin)
    bob = acme["contacts"][0]
    clock.advance(timedelta(hours=2))
    visited_at = clock.now() - timedelta(minutes=30)

    created = await result(
        sales1,
        CREATE_FOLLOW_UP,
        customerId=acme["id"],
        input={
            "content": "  Visited their office.  ",
            "contactId": bob["id"],
            "methodId": options["FOLLOW_UP_METHOD"]["Visit"],
            "followedAt": iso(visited_at),
            "nextStep": " Send a quote ",
        },
    )

    assert created == {
        "__typename": "FollowUpSuccess",
        "followUp": {
            "id": created["followUp"]["id"],
            "customerId": acme["id"],
            "contactId": bob["id"],
            "methodId": options["FOLLOW_UP_METHOD"]["Visit"],
            "content": "Visited their office.",
            "followedAt": iso(visited_at),
            "nextStep": "Send a quote",
            "authorId": users["sales1"],
            "createdAt": iso(clock.now()),
            "method": {"label": "Visit"},
            "author": {"loginName": "sales1"},
            "contactName": "Bob",
        },
    }
    found = await customer(sales1, acme["id"])
    assert found is not None
    assert found["followUps"]["nodes"] == [created["followUp"]]
    assert found["lastFollowUpAt"] == iso(visited_at)
    assert found["poolRelease"]["at"] == iso(visited_at + timedelta(days=30))

    # Without a time it is 'now'; a back-dated one does not move the clock back.
    clock.advance(timedelta(minutes=10))
    await follow(sales1, acme["id"], "Phoned.")
    await follow(sales1, acme["id"], "Old note.", START - timedelta(days=3))
    assert await timeline(sales1, acme["id"]) == {
        "lastFollowUpAt": iso(clock.now()),
        "poolRelease": {"at": iso(clock.now() + timedelta(days=30))},
        "followUps": {
            "nodes": [
                {"content": "Phoned."},
                {"content": "Visited their office."},
                {"content": "Old note."},
            ]
        },
    }
    assert (await timeline(sales1, acme["id"], first=1))["followUps"]["nodes"] == [
        {"content": "Phoned."}
    ]
    assert (await timeline(sales1, acme["id"], first=0))["followUps"]["nodes"] == []


async def test_bad_follow_ups_are_refused_and_nothing_is_written(
    sales1: GraphQLClient, admin: GraphQLClient, clock: FrozenClock
) -> None:
    options = await option_ids(admin)
    acme = await private_customer(sales1, admin, "Acme")
    other = await private_customer(sales1, admin, "Other")
    foreign_contact = other["contacts"][0]["id"]
    partner = options["SOURCE"]["Partner"]
    cases: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
        (
            {"contactId": foreign_contact},
            [("contactId", f"contact {foreign_contact} is not a contact of this customer")],
        ),
        ({"contactId": 99999}, [("contactId", "contact 99999 is not a contact of this customer")]),
        (
            {"followedAt": iso(clock.now() + timedelta(seconds=1))},
            [("followedAt", "cannot be in the future")],
        ),
        ({"followedAt": "2026-03-01T10:00:00"}, [("followedAt", "must include a time zone")]),
        (
            {"methodId": partner},
            [("methodId", f"option {partner} is not in the follow_up_method list")],
        ),
        ({"content": "   "}, [("content", "must not be empty")]),
        # Every malformed field at once; on well-formed input, every broken rule at once.
        (
            {"content": "", "nextStep": "n" * 2001, "methodId": 99999},
            [
                ("content", "must not be empty"),
                ("nextStep", "must have at most 2000 characters (has 2001)"),
            ],
        ),
        (
            {
                "methodId": 99999,
                "contactId": foreign_contact,
                "followedAt": iso(clock.now() + timedelta(days=1)),
            },
            [
                ("methodId", "option 99999 is not in the follow_up_method list"),
                ("contactId", f"contact {foreign_contact} is not a contact of this customer"),
                ("followedAt", "cannot be in the future"),
            ],
        ),
    ]
    for fields, problems in cases:
        refused = await result(
            sales1,
            CREATE_FOLLOW_UP,
            customerId=acme["id"],
            input={"content": "Called.", **fields},
        )
        assert refused == invalid(*problems), fields

    assert await customer(sales1, acme["id"]) == acme
    assert (acme["lastFollowUpAt"], acme["followUps"]["nodes"]) == (None, [])


async def test_only_those_who_manage_or_share_a_customer_may_follow_it_up(
    sales1: GraphQLClient, manager1: GraphQLClient, admin: GraphQLClient, gql: GraphQLClient
) -> None:
    users = await user_ids(admin)
    sales2 = await gql.as_user("sales2")
    acme = await private_customer(sales1, admin)
    public = await create(admin, "Open Co")

    # sales2 cannot follow up sales1's private customer, nor a public one without claiming.
    refused = await result(sales2, CREATE_FOLLOW_UP, customerId=acme["id"], input={"content": "Hi"})
    assert refused == not_found("Customer", acme["id"], "customerId")  # invisible to sales2
    refused = await result(
        sales2, CREATE_FOLLOW_UP, customerId=public["id"], input={"content": "Hi"}
    )
    assert refused == error("ConflictError", "CONFLICT", NOT_YOURS, "customerId")
    missing = await result(sales2, CREATE_FOLLOW_UP, customerId=99999, input={"content": "Hi"})
    assert missing == not_found("Customer", 99999, "customerId")
    assert await customer(sales1, acme["id"]) == acme
    assert await customer(admin, public["id"]) == public

    claimed = await result(sales2, CLAIM, id=public["id"])
    assert claimed["__typename"] == "CustomerSuccess"
    await follow(sales2, public["id"], "Claimed and called.")
    # The owner's manager may follow up; so may a colleague the customer is shared with.
    await follow(manager1, acme["id"], "Manager visit.")
    shared = await result(sales1, SHARE, customerIds=[acme["id"]], userIds=[users["sales2"]])
    assert shared["__typename"] == "CustomersSuccess"
    await follow(sales2, acme["id"], "Helping out.")
    found = await customer(sales1, acme["id"])
    assert found is not None
    assert [(f["content"], f["author"]["loginName"]) for f in found["followUps"]["nodes"]] == [
        ("Helping out.", "sales2"),
        ("Manager visit.", "manager1"),
    ]


async def test_editing_another_author_s_follow_up_needs_the_right(
    sales1: GraphQLClient,
    manager1: GraphQLClient,
    admin: GraphQLClient,
    gql: GraphQLClient,
    clock: FrozenClock,
) -> None:
    options = await option_ids(admin)
    users = await user_ids(admin)
    sales2 = await gql.as_user("sales2")
    sales3 = await gql.as_user("sales3")
    acme = await private_customer(sales1, admin)
    shared = await result(sales1, SHARE, customerIds=[acme["id"]], userIds=[users["sales2"]])
    assert shared["__typename"] == "CustomersSuccess"
    clock.advance(timedelta(hours=1))
    written = await follow(sales1, acme["id"], "Called.", clock.now() - timedelta(minutes=5))
    before = await customer(sales1, acme["id"])

    # sales2 sees the (shared) customer but lacks followup:edit_others.
    await forbidden(sales2, UPDATE_FOLLOW_UP, id=written["id"], input={"content": "Mine now"})
    await forbidden(sales2, DELETE_FOLLOW_UP, id=written["id"])
    assert await customer(sales1, acme["id"]) == before

    earlier = clock.now() - timedelta(minutes=50)
    edited = await result(
        manager1,
        UPDATE_FOLLOW_UP,
        id=written["id"],
        input={
            "content": "Called, no answer.",
            "methodId": options["FOLLOW_UP_METHOD"]["Phone call"],
            "followedAt": iso(earlier),
        },
    )
    assert edited == {
        "__typename": "FollowUpSuccess",
        "followUp": {
            **written,
            "content": "Called, no answer.",
            "methodId": options["FOLLOW_UP_METHOD"]["Phone call"],
            "method": {"label": "Phone call"},
            "followedAt": iso(earlier),
        },
    }
    assert edited["followUp"]["author"] == {"loginName": "sales1"}
    # The clock follows the edited time, even backwards.
    assert (await timeline(sales1, acme["id"]))["lastFollowUpAt"] == iso(earlier)
    assert (await log(manager1, "follow_up", written["id"]))[:1] == [
        {
            "action": "update",
            "changes": {
                "content": ["Called.", "Called, no answer."],
                "methodId": [None, options["FOLLOW_UP_METHOD"]["Phone call"]],
                "followedAt": [iso(clock.now() - timedelta(minutes=5)), iso(earlier)],
            },
            "actor": {"loginName": "manager1"},
        }
    ]
    # The author may edit their own; the same checks apply.
    own = await result(
        sales1, UPDATE_FOLLOW_UP, id=written["id"], input={"content": "Called twice."}
    )
    assert own["followUp"]["content"] == "Called twice."
    future = await result(
        sales1,
        UPDATE_FOLLOW_UP,
        id=written["id"],
        input={"content": "x", "followedAt": iso(clock.now() + timedelta(hours=1))},
    )
    assert future == invalid(("followedAt", "cannot be in the future"))

    # Out of the manager's scope: sales3's follow-up is not found for manager1.
    theirs = await private_customer(sales3, admin, "Dept 2 Co")
    far = await follow(sales3, theirs["id"], "Dept 2 call.")
    assert await result(
        manager1, UPDATE_FOLLOW_UP, id=far["id"], input={"content": "x"}
    ) == not_found("Follow-up", far["id"])
    assert await result(manager1, DELETE_FOLLOW_UP, id=far["id"]) == not_found(
        "Follow-up", far["id"]
    )
    assert (await timeline(sales3, theirs["id"]))["followUps"]["nodes"] == [
        {"content": "Dept 2 call."}
    ]


async def test_deleting_the_newest_follow_up_moves_the_clock_back(
    sales1: GraphQLClient, manager1: GraphQLClient, admin: GraphQLClient, clock: FrozenClock
) -> None:
    acme = await private_customer(sales1, admin)
    clock.advance(timedelta(hours=3))
    older = await follow(sales1, acme["id"], "First.", clock.now() - timedelta(hours=2))
    newer = await follow(sales1, acme["id"], "Second.", clock.now() - timedelta(hours=1))
    assert (await timeline(sales1, acme["id"]))["lastFollowUpAt"] == newer["followedAt"]

    # Sales staff have no followup:delete right, even for their own records.
    await forbidden(sales1, DELETE_FOLLOW_UP, id=newer["id"])
    assert len((await timeline(sales1, acme["id"]))["followUps"]["nodes"]) == 2

    deleted = await result(manager1, DELETE_FOLLOW_UP, id=newer["id"])
    assert deleted == {"__typename": "DeleteSuccess", "id": newer["id"]}
    assert await timeline(sales1, acme["id"]) == {
        "lastFollowUpAt": older["followedAt"],
        "poolRelease": {"at": iso(START + timedelta(days=30) + timedelta(hours=1))},
        "followUps": {"nodes": [{"content": "First."}]},
    }
    [entry, _created] = await log(manager1, "follow_up", newer["id"])
    assert entry == {
        "action": "delete",
        "changes": {"deletedAt": [None, iso(clock.now())]},
        "actor": {"loginName": "manager1"},
    }

    assert (await result(manager1, DELETE_FOLLOW_UP, id=older["id"]))["id"] == older["id"]
    assert await timeline(sales1, acme["id"]) == {
        "lastFollowUpAt": None,
        "poolRelease": {"at": iso(START + timedelta(days=30))},
        "followUps": {"nodes": []},
    }
    assert await result(manager1, DELETE_FOLLOW_UP, id=older["id"]) == not_found(
        "Follow-up", older["id"]
    )
    assert await result(
        manager1, UPDATE_FOLLOW_UP, id=older["id"], input={"content": "x"}
    ) == not_found("Follow-up", older["id"])


FOLLOW_UP_BIN = "{ followUpRecycleBin { edges { node { id content customerId } } } }"
RESTORE_FOLLOW_UP = mutation_of(
    "$id: Int!",
    "restoreFollowUp(id: $id)",
    success("FollowUpSuccess", f"followUp {{ {FOLLOW_UP_FIELDS} }}"),
)
PURGE_FOLLOW_UP = delete("purgeFollowUp")


async def bin_of(client: GraphQLClient) -> list[int]:
    edges = (await client.data(FOLLOW_UP_BIN))["followUpRecycleBin"]["edges"]
    return [edge["node"]["id"] for edge in edges]


async def test_a_deleted_follow_up_waits_in_the_recycle_bin_and_comes_back_exactly(
    sales1: GraphQLClient, manager1: GraphQLClient, admin: GraphQLClient, clock: FrozenClock
) -> None:
    acme = await private_customer(sales1, admin)
    clock.advance(timedelta(hours=3))
    older = await follow(sales1, acme["id"], "First.", clock.now() - timedelta(hours=2))
    newer = await follow(sales1, acme["id"], "Second.", clock.now() - timedelta(hours=1))
    before = await timeline(sales1, acme["id"])

    await result(manager1, DELETE_FOLLOW_UP, id=newer["id"])
    assert await bin_of(manager1) == [newer["id"]]
    await forbidden(sales1, FOLLOW_UP_BIN)  # sales staff may not delete, nor see a bin
    await forbidden(sales1, RESTORE_FOLLOW_UP, id=newer["id"])

    restored = await result(manager1, RESTORE_FOLLOW_UP, id=newer["id"])
    assert succeeded(restored, "FollowUpSuccess", "followUp") == newer
    assert await timeline(sales1, acme["id"]) == before
    assert await bin_of(manager1) == []
    [entry, *_] = await log(manager1, "follow_up", newer["id"])
    assert entry["action"] == "restore"
    assert await result(manager1, RESTORE_FOLLOW_UP, id=newer["id"]) == not_found(
        "Follow-up in your recycle bin", newer["id"]
    )

    # Purged, it is gone for good and the clock stays on what is left.
    await result(manager1, DELETE_FOLLOW_UP, id=older["id"])
    assert (await result(manager1, PURGE_FOLLOW_UP, id=older["id"]))["id"] == older["id"]
    assert await bin_of(manager1) == []
    assert await result(manager1, RESTORE_FOLLOW_UP, id=older["id"]) == not_found(
        "Follow-up in your recycle bin", older["id"]
    )
    assert (await timeline(sales1, acme["id"]))["followUps"]["nodes"] == [{"content": "Second."}]


FOLLOW_UP_PAGE = """
query($filter: FollowUpFilterInput, $after: String) {
  followUps(filter: $filter, first: 100, after: $after) {
    totalCount edges { node { id customerId content } } pageInfo { endCursor hasNextPage }
  }
}
"""


async def test_a_customer_with_300_follow_ups_is_read_page_by_page(
    services: Services, sales1: GraphQLClient, sales2: GraphQLClient
) -> None:
    customer_id = await make_customer(services, "sales1", "Busy customer")
    other = await make_customer(services, "sales1", "Quiet customer")
    author = (await user_ids(services))["sales1"]
    async with services.database.writer() as session, session.begin():
        session.add_all(
            FollowUp(
                customer_id=customer_id if i < 300 else other,
                content=f"call {i}",
                followed_at=START - timedelta(minutes=i // 2),  # ties, broken by id
                author_id=author,
                created_at=START,
            )
            for i in range(302)
        )
    read: list[dict[str, Any]] = []
    statements: list[int] = []
    after = None
    while True:
        variables = {"filter": {"customerId": customer_id}, "after": after}
        data, counted = await counted_data(sales1, services, FOLLOW_UP_PAGE, **variables)
        page = data["followUps"]
        assert page["totalCount"] == 300
        read += [edge["node"] for edge in page["edges"]]
        statements.append(len(counted))
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(read) == 300 and len({n["id"] for n in read}) == 300
    assert {n["customerId"] for n in read} == {customer_id}
    # Latest first, the same moment by the higher id first.
    assert read == sorted(read, key=lambda n: (int(n["content"].split()[1]) // 2, -n["id"]))
    assert len(set(statements)) == 1  # every page costs the same
    # A colleague who may not see the customer sees none of its follow-ups.
    theirs = await sales2.data(FOLLOW_UP_PAGE, filter={"customerId": customer_id})
    assert theirs["followUps"]["totalCount"] == 0
