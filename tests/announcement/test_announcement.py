"""Announcements (F7.4) and instant notices (F7.9): drafts, audiences, edits, permissions."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.fixtures.graphql import bell, department_ids, result, succeeded, unread
from tests.fixtures.live import subscribed
from tests.fixtures.users import uid
from tests.graphql_client import GraphQLClient
from tests.ws_client import live_client

NOW = "2026-03-02T09:00:00+00:00"

ANNOUNCEMENT = """id title content titleStyle audience audienceIds authorId publishedAt
  author { loginName }"""
RESULT = (
    "__typename ... on AnnouncementSuccess { announcement { " + ANNOUNCEMENT + " } }"
    " ... on Error { code message field }"
    " ... on InvalidInputError { problems { field message } }"
)
CREATE = (
    "mutation($input: AnnouncementInput!, $publish: Boolean! = false) {"
    " result: createAnnouncement(input: $input, publish: $publish) { " + RESULT + " } }"
)
PUBLISH = "mutation($id: Int!) { result: publishAnnouncement(id: $id) { " + RESULT + " } }"
UPDATE = (
    "mutation($id: Int!, $input: AnnouncementInput!) {"
    " result: updateAnnouncement(id: $id, input: $input) { " + RESULT + " } }"
)
DELETE = """mutation($id: Int!) { result: deleteAnnouncement(id: $id) { __typename
  ... on DeleteSuccess { id } ... on Error { code message field } } }"""
NOTICE = """mutation($title: String!, $body: String! = "") {
  result: sendInstantNotice(title: $title, body: $body) { __typename
    ... on NoticeSent { deliveredLive } ... on Error { code message field } } }"""
LISTS = (
    "{ announcements { totalCount edges { node { " + ANNOUNCEMENT + " } } }"
    " announcementDrafts { totalCount edges { node { id title } } } }"
)
LIVE_NOTICES = "subscription { instantNotices { title body senderId sentAt } }"
LIVE_BELL = "subscription { notifications { notification { kind linkId } } }"
SET_ACTIVE = (
    "mutation($id: Int!, $on: Boolean!) { setUserActive(id: $id, active: $on) { __typename } }"
)

READERS = ("admin", "manager1", "sales1", "sales2", "sales3")


@pytest.fixture
async def everyone(gql: GraphQLClient) -> dict[str, GraphQLClient]:
    return {name: await gql.as_user(name) for name in READERS}


@pytest.fixture
async def departments(admin: GraphQLClient) -> dict[str, int]:
    return await department_ids(admin)


def fields(**overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "title": "Office closed Friday",
        "content": "Maintenance of the building.",
        "titleStyle": {"color": "#c00", "bold": True},
    }
    value.update(overrides)
    return value


async def create(admin: GraphQLClient, publish: bool = False, **overrides: Any) -> dict[str, Any]:
    answer = await result(admin, CREATE, input=fields(**overrides), publish=publish)
    return succeeded(answer, "AnnouncementSuccess", "announcement")


async def lists(client: GraphQLClient) -> tuple[list[int], list[int]]:
    data = await client.data(LISTS)
    published = data["announcements"]
    drafts = data["announcementDrafts"]
    assert published["totalCount"] == len(published["edges"])
    assert drafts["totalCount"] == len(drafts["edges"])
    return [e["node"]["id"] for e in published["edges"]], [e["node"]["id"] for e in drafts["edges"]]


async def readers_of(everyone: dict[str, GraphQLClient], announcement_id: int) -> set[str]:
    return {name for name, c in everyone.items() if announcement_id in (await lists(c))[0]}


async def notified_of(everyone: dict[str, GraphQLClient], announcement_id: int) -> set[str]:
    found = set()
    for name, client in everyone.items():
        notes, _ = await bell(client)
        if any(n["linkType"] == "announcement" and n["linkId"] == announcement_id for n in notes):
            found.add(name)
    return found


async def test_a_draft_is_the_authors_alone_until_published_to_everyone(
    admin: GraphQLClient, everyone: dict[str, GraphQLClient]
) -> None:
    draft = await create(admin)
    assert draft == {
        "id": draft["id"],
        "title": "Office closed Friday",
        "content": "Maintenance of the building.",
        "titleStyle": {"color": "#c00", "bold": True},
        "audience": "EVERYONE",
        "audienceIds": [],
        "authorId": uid(admin),
        "publishedAt": None,
        "author": {"loginName": "admin"},
    }
    assert await lists(admin) == ([], [draft["id"]])
    for name in READERS[1:]:
        assert await lists(everyone[name]) == ([], [])
    assert await notified_of(everyone, draft["id"]) == set()

    published = await result(admin, PUBLISH, id=draft["id"])
    assert published["__typename"] == "AnnouncementSuccess", published
    assert published["announcement"]["publishedAt"] == NOW

    assert await readers_of(everyone, draft["id"]) == set(READERS)
    assert await notified_of(everyone, draft["id"]) == set(READERS)  # the author too
    assert await lists(admin) == ([draft["id"]], [])
    notes, counts = await bell(everyone["sales3"])
    text = ("Office closed Friday", "Maintenance of the building.")
    link = ("announcement", draft["id"])
    assert notes == [unread(notes[0]["id"], "announcement", text, link, "SYSTEM")]
    assert counts == {"personal": 0, "system": 1, "total": 1}

    again = await result(admin, PUBLISH, id=draft["id"])
    assert again["__typename"] == "ConflictError", again
    assert again["code"] == "CONFLICT"
    assert again["field"] == "id"
    for name in READERS:  # nobody was notified twice
        assert (await bell(everyone[name]))[1] == {"personal": 0, "system": 1, "total": 1}


async def test_a_department_audience_reaches_the_department_and_the_author_still_sees_it(
    admin: GraphQLClient, everyone: dict[str, GraphQLClient], departments: dict[str, int]
) -> None:
    sent = await create(
        admin, publish=True, audience="DEPARTMENTS", audienceIds=[departments["Sales Dept 1"]]
    )
    assert sent["audience"] == "DEPARTMENTS"
    assert sent["audienceIds"] == [departments["Sales Dept 1"]]
    assert sent["publishedAt"] == NOW
    assert await notified_of(everyone, sent["id"]) == {"manager1", "sales1", "sales2"}
    assert await readers_of(everyone, sent["id"]) == {"admin", "manager1", "sales1", "sales2"}
    assert (await bell(everyone["admin"]))[0] == []  # the author is not in the audience
    assert (await bell(everyone["sales3"]))[0] == []


async def test_a_user_audience_reaches_exactly_those_users(
    admin: GraphQLClient, everyone: dict[str, GraphQLClient]
) -> None:
    ids = [uid(everyone["sales3"]), uid(everyone["sales1"]), uid(everyone["sales3"])]
    sent = await create(admin, publish=True, audience="USERS", audienceIds=ids)
    assert sent["audienceIds"] == sorted({uid(everyone["sales1"]), uid(everyone["sales3"])})
    assert await notified_of(everyone, sent["id"]) == {"sales1", "sales3"}
    assert await readers_of(everyone, sent["id"]) == {"admin", "sales1", "sales3"}


async def test_a_department_audience_includes_sub_departments(
    admin: GraphQLClient, everyone: dict[str, GraphQLClient], departments: dict[str, int]
) -> None:
    sent = await create(
        admin, publish=True, audience="DEPARTMENTS", audienceIds=[departments["Head Office"]]
    )
    assert await notified_of(everyone, sent["id"]) == set(READERS)


INVALID: list[tuple[str, dict[str, Any]]] = [
    ("everyone with ids", {"audience": "EVERYONE", "audienceIds": [1]}),
    ("unknown department", {"audience": "DEPARTMENTS", "audienceIds": [987654]}),
    ("departments without ids", {"audience": "DEPARTMENTS", "audienceIds": []}),
    ("unknown user", {"audience": "USERS", "audienceIds": [987654]}),
]


@pytest.mark.parametrize("change", [c for _, c in INVALID], ids=[n for n, _ in INVALID])
@pytest.mark.parametrize("publish", [False, True], ids=["draft", "published"])
async def test_a_wrong_audience_is_invalid_input_and_nothing_is_created(
    admin: GraphQLClient,
    everyone: dict[str, GraphQLClient],
    change: dict[str, Any],
    publish: bool,
) -> None:
    refused = await result(admin, CREATE, input=fields(**change), publish=publish)
    assert refused["__typename"] == "InvalidInputError", refused
    assert refused["code"] == "INVALID_INPUT"
    assert refused["field"] == "audienceIds"
    assert [p["field"] for p in refused["problems"]] == ["audienceIds"]
    for client in everyone.values():
        assert await lists(client) == ([], [])
        assert (await bell(client))[0] == []


async def test_a_new_audience_of_a_published_announcement_applies_at_once(
    admin: GraphQLClient, everyone: dict[str, GraphQLClient], departments: dict[str, int]
) -> None:
    dept = departments["Sales Dept 1"]
    sent = await create(admin, publish=True, audience="DEPARTMENTS", audienceIds=[dept])
    changed = await result(
        admin,
        UPDATE,
        id=sent["id"],
        input=fields(
            title="Office closed Saturday",
            content="Moved.",
            titleStyle={},
            audience="USERS",
            audienceIds=[uid(everyone["sales3"])],
        ),
    )
    assert changed["__typename"] == "AnnouncementSuccess", changed
    after = changed["announcement"]
    assert (after["title"], after["content"], after["titleStyle"]) == (
        "Office closed Saturday",
        "Moved.",
        {},
    )
    assert (after["audience"], after["audienceIds"]) == ("USERS", [uid(everyone["sales3"])])
    assert after["publishedAt"] == NOW
    # The new reader has it in the bell; the readers left out no longer see it.
    assert await readers_of(everyone, sent["id"]) == {"admin", "sales3"}
    assert await notified_of(everyone, sent["id"]) == {"sales3"}
    data = await everyone["sales3"].data(LISTS)
    assert data["announcements"]["edges"][0]["node"]["title"] == "Office closed Saturday"
    # Widened again, the readers already notified are not notified twice.
    wider = fields(audience="USERS", audienceIds=[uid(everyone["sales3"]), uid(everyone["sales1"])])
    assert (await result(admin, UPDATE, id=sent["id"], input=wider))["__typename"] == (
        "AnnouncementSuccess"
    )
    assert await notified_of(everyone, sent["id"]) == {"sales1", "sales3"}
    assert len((await bell(everyone["sales3"]))[0]) == 1

    # a draft's audience may still change
    draft = await create(admin, audience="USERS", audienceIds=[uid(everyone["sales1"])])
    moved = await result(
        admin, UPDATE, id=draft["id"], input=fields(audience="DEPARTMENTS", audienceIds=[dept])
    )
    assert (moved["announcement"]["audience"], moved["announcement"]["audienceIds"]) == (
        "DEPARTMENTS",
        [dept],
    )
    bad = await result(admin, UPDATE, id=draft["id"], input=fields(audienceIds=[dept]))
    assert bad["__typename"] == "InvalidInputError"
    assert bad["field"] == "audienceIds"
    missing = await result(admin, UPDATE, id=draft["id"] + 99, input=fields())
    assert missing["__typename"] == "NotFoundError"


async def test_deleting_hides_a_published_announcement_and_a_draft(
    admin: GraphQLClient, everyone: dict[str, GraphQLClient]
) -> None:
    sent = await create(admin, publish=True)
    draft = await create(admin, title="Draft")
    assert await lists(admin) == ([sent["id"]], [draft["id"]])
    for target in (sent, draft):
        deleted = await result(admin, DELETE, id=target["id"])
        assert deleted == {"__typename": "DeleteSuccess", "id": target["id"]}
    for client in everyone.values():
        assert await lists(client) == ([], [])
    for mutation, variables in (
        (DELETE, {}),
        (PUBLISH, {}),
        (UPDATE, {"input": fields()}),
    ):
        refused = await result(admin, mutation, id=draft["id"], **variables)
        assert refused["__typename"] == "NotFoundError", refused
        assert refused["code"] == "NOT_FOUND"
    assert await lists(admin) == ([], [])
    assert await notified_of(everyone, draft["id"]) == set()


async def test_sales_staff_may_not_manage_announcements(
    admin: GraphQLClient, sales1: GraphQLClient, everyone: dict[str, GraphQLClient]
) -> None:
    sent = await create(admin, publish=True)
    draft = await create(admin, title="Draft")
    attempts: list[tuple[str, dict[str, Any]]] = [
        (CREATE, {"input": fields(title="Mine"), "publish": True}),
        (PUBLISH, {"id": draft["id"]}),
        (UPDATE, {"id": sent["id"], "input": fields(title="Hacked")}),
        (DELETE, {"id": sent["id"]}),
        (NOTICE, {"title": "Free lunch"}),
    ]
    for mutation, variables in attempts:
        body = await sales1.execute(mutation, **variables)
        assert body["data"] is None, body
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], mutation
    assert await lists(admin) == ([sent["id"]], [draft["id"]])
    data = await sales1.data(LISTS)
    assert [e["node"]["title"] for e in data["announcements"]["edges"]] == ["Office closed Friday"]
    assert len((await bell(sales1))[0]) == 1


async def test_an_instant_notice_reaches_those_online_once_and_is_not_stored(
    app: Starlette, admin: GraphQLClient, everyone: dict[str, GraphQLClient]
) -> None:
    async with subscribed(app, LIVE_NOTICES, everyone["sales1"], everyone["sales3"]) as (
        first,
        second,
    ):
        sent = await result(admin, NOTICE, title="  Fire drill at 11:00  ", body="Use stairs.")
        assert sent == {"__typename": "NoticeSent", "deliveredLive": True}
        for live in (first, second):
            assert (await live.next_data())["instantNotices"] == {
                "title": "Fire drill at 11:00",
                "body": "Use stairs.",
                "senderId": uid(admin),
                "sentAt": NOW,
            }
        for live in (first, second):
            assert await live.nothing_within(0.1)

        async with live_client(app, everyone["sales2"].token) as latecomer:
            await latecomer.subscribe(LIVE_NOTICES)
            await latecomer.subscribe(LIVE_BELL)
            assert await latecomer.nothing_within(0.3)

    refused = await result(admin, NOTICE, title=" ")
    assert refused["__typename"] == "InvalidInputError"
    assert refused["field"] == "title"
    for client in everyone.values():
        assert await bell(client) == ([], {"personal": 0, "system": 0, "total": 0})
        assert await lists(client) == ([], [])


async def test_publishing_twice_at_the_same_time_notifies_once(
    admin: GraphQLClient, everyone: dict[str, GraphQLClient]
) -> None:
    draft = await create(admin)
    results = await asyncio.gather(*(result(admin, PUBLISH, id=draft["id"]) for _ in range(3)))
    assert sorted(r["__typename"] for r in results) == [
        "AnnouncementSuccess",
        "ConflictError",
        "ConflictError",
    ], results
    for client in everyone.values():
        assert (await bell(client))[1] == {"personal": 0, "system": 1, "total": 1}


async def test_deactivated_users_are_not_in_the_audience(
    gql: GraphQLClient, admin: GraphQLClient, everyone: dict[str, GraphQLClient]
) -> None:
    sales2 = uid(everyone["sales2"])
    await admin.data(SET_ACTIVE, id=sales2, on=False)
    sent = await create(admin, publish=True)
    await admin.data(SET_ACTIVE, id=sales2, on=True)
    again = await gql.as_user("sales2")  # deactivation ended the old session
    assert await lists(again) == ([], [])
    assert (await bell(again))[0] == []
    others = {name: c for name, c in everyone.items() if name != "sales2"}
    assert await notified_of(others, sent["id"]) == {"admin", "manager1", "sales1", "sales3"}


async def test_a_title_style_that_is_not_an_object_is_refused(admin: GraphQLClient) -> None:
    answer = await result(admin, CREATE, input=fields(titleStyle="bold"), publish=False)
    assert (answer["__typename"], answer["field"]) == ("InvalidInputError", "titleStyle")
    assert await lists(admin) == ([], [])


async def test_deleting_an_announcement_clears_it_from_the_bells(
    admin: GraphQLClient, sales1: GraphQLClient
) -> None:
    announcement = await create(admin, publish=True)
    _, counts = await bell(sales1)
    assert counts["system"] == 1
    deleted = await result(admin, DELETE, id=announcement["id"])
    assert deleted["__typename"] == "DeleteSuccess", deleted
    notes, counts = await bell(sales1)
    assert (notes, counts["system"]) == ([], 0)
