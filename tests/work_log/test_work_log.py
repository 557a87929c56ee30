"""Work logs (F7.3): submitted to a leader, who is notified and comments back."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette

from tests.fixtures.graphql import bell, unread
from tests.fixtures.live import subscribed
from tests.fixtures.users import uid
from tests.graphql_client import GraphQLClient

NOW = "2026-03-02T09:00:00+00:00"

LOG = """id authorId leaderId logDate content createdAt author { loginName } leader { loginName }
  comments { authorId content createdAt author { loginName } }"""
SUBMIT = (
    "mutation($leader: Int!, $day: Date!, $content: String!) {"
    " r: submitWorkLog(leaderId: $leader, logDate: $day, content: $content) { __typename"
    " ... on WorkLogSuccess { workLog { " + LOG + " } }"
    " ... on Error { code message field }"
    " ... on InvalidInputError { problems { field message } } } }"
)
COMMENT = (
    "mutation($id: Int!, $content: String!) { r: commentOnWorkLog(id: $id, content: $content) {"
    " __typename ... on WorkLogCommentSuccess { comment { id authorId content } }"
    " ... on Error { code message field } } }"
)
LOGS = (
    "query($mine: Boolean!) { workLogs(mine: $mine) { totalCount edges { node { " + LOG + " } } } }"
)
SET_ACTIVE = "mutation($id: Int!) { setUserActive(id: $id, active: false) { __typename } }"
LIVE_BELL = """subscription { notifications { notification { id kind title linkType linkId }
  unreadCounts { personal system total } } }"""


async def submit(
    client: GraphQLClient, leader: int, content: str = "Visited three customers."
) -> dict[str, Any]:
    result: dict[str, Any] = (
        await client.data(SUBMIT, leader=leader, day="2026-03-01", content=content)
    )["r"]
    return result


async def logs(client: GraphQLClient, *, mine: bool) -> list[dict[str, Any]]:
    page = (await client.data(LOGS, mine=mine))["workLogs"]
    assert page["totalCount"] == len(page["edges"])
    return [e["node"] for e in page["edges"]]


async def test_a_submitted_work_log_notifies_the_leader_and_is_listed_for_both(
    app: Starlette, sales1: GraphQLClient, manager1: GraphQLClient, sales3: GraphQLClient
) -> None:
    async with subscribed(app, LIVE_BELL, manager1, sales3) as (leader_bell, other_bell):
        result = await submit(sales1, uid(manager1))
        assert result["__typename"] == "WorkLogSuccess", result
        log = result["workLog"]
        push = (await leader_bell.next_data())["notifications"]
        assert push == {
            "notification": {
                "id": push["notification"]["id"],
                "kind": "work_log",
                "title": "Wang Wei submitted a work log",
                "linkType": "work_log",
                "linkId": log["id"],
            },
            "unreadCounts": {"personal": 1, "system": 0, "total": 1},
        }
        assert await other_bell.nothing_within(0.2)

    expected = {
        "id": log["id"],
        "authorId": uid(sales1),
        "leaderId": uid(manager1),
        "logDate": "2026-03-01",
        "content": "Visited three customers.",
        "createdAt": NOW,
        "author": {"loginName": "sales1"},
        "leader": {"loginName": "manager1"},
        "comments": [],
    }
    assert log == expected
    assert await logs(manager1, mine=False) == [expected]
    assert await logs(manager1, mine=True) == []
    assert await logs(sales1, mine=True) == [expected]
    assert await logs(sales1, mine=False) == []
    assert await logs(sales3, mine=True) == []
    assert await logs(sales3, mine=False) == []
    assert await bell(manager1) == (
        [
            unread(
                push["notification"]["id"],  # the one pushed live
                "work_log",
                ("Wang Wei submitted a work log", "Work log of 2026-03-01"),
                ("work_log", log["id"]),
                "PERSONAL",
            )
        ],
        {"personal": 1, "system": 0, "total": 1},
    )
    assert (await bell(sales1))[0] == []


async def test_comments_notify_the_other_side_and_outsiders_cannot_comment(
    sales1: GraphQLClient, manager1: GraphQLClient, sales3: GraphQLClient, admin: GraphQLClient
) -> None:
    log = (await submit(sales1, uid(manager1)))["workLog"]

    by_leader = (await manager1.data(COMMENT, id=log["id"], content="Good work; follow up."))["r"]
    assert by_leader["__typename"] == "WorkLogCommentSuccess", by_leader
    assert by_leader["comment"]["authorId"] == uid(manager1)
    notes, counts = await bell(sales1)
    text = ("New comment on a work log", "Good work; follow up.")
    link = ("work_log", log["id"])
    assert notes == [unread(notes[0]["id"], "work_log_comment", text, link, "PERSONAL")]
    assert counts == {"personal": 1, "system": 0, "total": 1}

    by_author = (await sales1.data(COMMENT, id=log["id"], content="Will do."))["r"]
    assert by_author["__typename"] == "WorkLogCommentSuccess", by_author
    notes, _ = await bell(manager1)
    assert [(n["kind"], n["body"]) for n in notes] == [
        ("work_log_comment", "Will do."),
        ("work_log", "Work log of 2026-03-01"),
    ]

    # an outsider, even one who sees everything (admin), and a missing log: not found
    for who, target in ((sales3, log["id"]), (admin, log["id"]), (manager1, log["id"] + 99)):
        refused = (await who.data(COMMENT, id=target, content="Nice."))["r"]
        assert refused["__typename"] == "NotFoundError", refused
        assert refused["code"] == "NOT_FOUND"
    empty = (await manager1.data(COMMENT, id=log["id"], content="  "))["r"]
    assert empty["__typename"] == "InvalidInputError"
    assert empty["field"] == "content"

    [stored] = await logs(sales1, mine=True)
    assert [(c["author"]["loginName"], c["content"]) for c in stored["comments"]] == [
        ("manager1", "Good work; follow up."),
        ("sales1", "Will do."),
    ]
    assert len((await bell(sales1))[0]) == 1
    assert len((await bell(manager1))[0]) == 2
    for outsider in (sales3, admin):
        assert (await bell(outsider))[0] == []


@pytest.mark.parametrize("leader", ["self", "unknown", "deactivated", "empty content"])
async def test_a_work_log_to_yourself_or_an_unknown_leader_is_refused(
    sales1: GraphQLClient,
    manager1: GraphQLClient,
    sales3: GraphQLClient,
    admin: GraphQLClient,
    leader: str,
) -> None:
    if leader == "self":
        result, field = await submit(sales1, uid(sales1)), "leaderId"
    elif leader == "unknown":
        result, field = await submit(sales1, 987654), "leaderId"
    elif leader == "deactivated":
        await admin.data(SET_ACTIVE, id=uid(sales3))
        result, field = await submit(sales1, uid(sales3)), "leaderId"
    else:
        result, field = await submit(sales1, uid(manager1), content=" "), "content"
    assert result["__typename"] == "InvalidInputError", result
    assert result["code"] == "INVALID_INPUT"
    assert result["field"] == field
    assert [p["field"] for p in result["problems"]] == [field]
    assert await logs(sales1, mine=True) == []
    assert await logs(manager1, mine=False) == []
    assert (await bell(manager1))[0] == []
    assert (await bell(sales1))[0] == []
