"""Internal messages (F7.1): inboxes, read receipts, the sender's copy, live delivery."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette

from tests.fixtures.live import subscribed
from tests.fixtures.users import uid
from tests.graphql_client import GraphQLClient

NOW = "2026-03-02T09:00:00+00:00"

MESSAGE = "id senderId subject body createdAt readAt sender { loginName }"
SEND = (
    "mutation($to: [Int!]!, $subject: String!, $body: String!) {"
    " r: sendMessage(recipientIds: $to, subject: $subject, body: $body) { __typename"
    " ... on MessageSuccess { item: message { " + MESSAGE + " } }"
    " ... on Error { code message field }"
    " ... on InvalidInputError { problems { field message } } } }"
)
MARK = (
    "mutation($id: Int!) { r: markMessageRead(id: $id) { __typename"
    " ... on MessageSuccess { item: message { " + MESSAGE + " } }"
    " ... on Error { code message field } } }"
)
INBOX = (
    "query($unread: Boolean! = false) { inbox(unreadOnly: $unread) { totalCount"
    " edges { node { " + MESSAGE + " } } } unreadMessageCount }"
)
SENT = "{ sentMessages { totalCount edges { node { " + MESSAGE + " } } } }"
LIVE = "subscription { messages { id senderId subject body createdAt sender { loginName } } }"
SET_ACTIVE = (
    "mutation($id: Int!, $on: Boolean!) { setUserActive(id: $id, active: $on) { __typename } }"
)


async def send(
    client: GraphQLClient, to: list[int], subject: str = "Quarterly targets", body: str = "See you."
) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(SEND, to=to, subject=subject, body=body))["r"]
    return result


async def inbox(client: GraphQLClient, unread: bool = False) -> tuple[list[dict[str, Any]], int]:
    data = await client.data(INBOX, unread=unread)
    assert data["inbox"]["totalCount"] == len(data["inbox"]["edges"])
    return [e["node"] for e in data["inbox"]["edges"]], data["unreadMessageCount"]


async def sent(client: GraphQLClient) -> list[dict[str, Any]]:
    data = await client.data(SENT)
    assert data["sentMessages"]["totalCount"] == len(data["sentMessages"]["edges"])
    return [e["node"] for e in data["sentMessages"]["edges"]]


async def test_a_message_to_several_colleagues_lands_unread_in_each_inbox(
    manager1: GraphQLClient,
    sales1: GraphQLClient,
    sales2: GraphQLClient,
    sales3: GraphQLClient,
    admin: GraphQLClient,
) -> None:
    result = await send(
        manager1, [uid(sales1), uid(sales2), uid(sales1)], "  Team meeting  ", "Monday 10:00."
    )
    assert result["__typename"] == "MessageSuccess", result
    message = result["item"]
    expected = {
        "id": message["id"],
        "senderId": uid(manager1),
        "subject": "Team meeting",  # trimmed
        "body": "Monday 10:00.",
        "createdAt": NOW,
        "sender": {"loginName": "manager1"},
    }
    assert message == {**expected, "readAt": None}

    for recipient in (sales1, sales2):
        assert await inbox(recipient) == ([{**expected, "readAt": None}], 1)
        assert await inbox(recipient, unread=True) == ([{**expected, "readAt": None}], 1)
    for outsider in (sales3, admin, manager1):
        assert await inbox(outsider) == ([], 0)
    assert await sent(manager1) == [{**expected, "readAt": None}]
    assert await sent(sales1) == []

    second = await send(sales2, [uid(sales1)], "Re: Team meeting", "I will be late.")
    assert second["__typename"] == "MessageSuccess"
    messages, unread = await inbox(sales1)
    assert [m["id"] for m in messages] == [second["item"]["id"], message["id"]]  # newest first
    assert unread == 2

    marked = await sales1.data(MARK, id=message["id"])
    assert marked["r"]["__typename"] == "MessageSuccess", marked
    assert marked["r"]["item"]["readAt"] == NOW
    messages, unread = await inbox(sales1)
    assert [(m["id"], m["readAt"]) for m in messages] == [
        (second["item"]["id"], None),
        (message["id"], NOW),
    ]
    assert unread == 1
    assert [m["id"] for m in (await inbox(sales1, unread=True))[0]] == [second["item"]["id"]]
    again = await sales1.data(MARK, id=message["id"])  # marking twice is harmless
    assert again["r"]["item"]["readAt"] == NOW
    # sales2's copy of the same message stays unread
    assert await inbox(sales2) == ([{**expected, "readAt": None}], 1)
    assert (await sent(manager1))[0]["readAt"] is None


async def test_a_recipient_online_receives_the_message_live_and_nobody_else_does(
    app: Starlette, manager1: GraphQLClient, sales1: GraphQLClient, sales3: GraphQLClient
) -> None:
    async with subscribed(app, LIVE, sales1, sales3, manager1) as (recipient, bystander, sender):
        result = await send(manager1, [uid(sales1)], "Call Acme", "They asked for a quote.")
        assert result["__typename"] == "MessageSuccess"
        pushed = (await recipient.next_data())["messages"]
        assert pushed == {
            "id": result["item"]["id"],
            "senderId": uid(manager1),
            "subject": "Call Acme",
            "body": "They asked for a quote.",
            "createdAt": NOW,
            "sender": {"loginName": "manager1"},
        }
        assert await bystander.nothing_within(0.2)
        assert await sender.nothing_within(0.01)
        assert await recipient.nothing_within(0.01)  # exactly once
    assert (await inbox(sales1))[1] == 1  # still unread: live delivery is not reading


INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("no recipients", {"to": []}, "recipientIds"),
    ("unknown recipient", {"to": [987654]}, "recipientIds"),
    ("empty subject", {"subject": "   "}, "subject"),
    ("empty body", {"body": ""}, "body"),
    ("subject too long", {"subject": "x" * 201}, "subject"),
]


@pytest.mark.parametrize(
    ("change", "field"), [(c, f) for _, c, f in INVALID], ids=[n for n, _, _ in INVALID]
)
async def test_invalid_messages_are_refused_and_nothing_is_sent(
    manager1: GraphQLClient, sales1: GraphQLClient, change: dict[str, Any], field: str
) -> None:
    arguments: dict[str, Any] = {"to": [uid(sales1)], "subject": "Hello", "body": "Hi."}
    arguments.update(change)
    refused = await send(manager1, arguments["to"], arguments["subject"], arguments["body"])
    assert refused["__typename"] == "InvalidInputError", refused
    assert refused["code"] == "INVALID_INPUT"
    assert refused["field"] == field
    assert [p["field"] for p in refused["problems"]] == [field]
    assert await inbox(sales1) == ([], 0)
    assert await sent(manager1) == []


async def test_a_deactivated_recipient_refuses_the_whole_message(
    admin: GraphQLClient, manager1: GraphQLClient, sales1: GraphQLClient, sales2: GraphQLClient
) -> None:
    await admin.data(SET_ACTIVE, id=uid(sales2), on=False)
    refused = await send(manager1, [uid(sales1), uid(sales2), 987654])
    assert refused["__typename"] == "InvalidInputError", refused
    assert refused["field"] == "recipientIds"
    assert refused["message"] == f"recipientIds: no active user with id {uid(sales2)}, 987654"
    assert await inbox(sales1) == ([], 0)  # not even the active recipient got it
    assert await sent(manager1) == []


async def test_marking_a_message_not_sent_to_you_is_not_found(
    manager1: GraphQLClient, sales1: GraphQLClient, sales3: GraphQLClient
) -> None:
    result = await send(manager1, [uid(sales1)])
    message_id = result["item"]["id"]
    for who, target in ((sales3, message_id), (manager1, message_id), (sales1, message_id + 99)):
        refused = (await who.data(MARK, id=target))["r"]
        assert refused["__typename"] == "NotFoundError", refused
        assert refused["code"] == "NOT_FOUND"
        assert refused["field"] == "id"
    assert (await inbox(sales1))[0][0]["readAt"] is None
    assert (await inbox(sales1))[1] == 1
    assert await inbox(sales3) == ([], 0)


SEND_MANY = (
    "mutation($messages: [MessageInput!]!) { r: sendMessages(messages: $messages) {"
    " __typename ... on MessagesSuccess { items: messages { id subject } }"
    " ... on InvalidInputError { problems { field message } } } }"
)


async def test_several_messages_each_to_its_own_recipients_in_one_call(
    app: Starlette,
    manager1: GraphQLClient,
    sales1: GraphQLClient,
    sales2: GraphQLClient,
    sales3: GraphQLClient,
) -> None:
    async with subscribed(app, LIVE, sales1) as [live]:
        result = (
            await manager1.data(
                SEND_MANY,
                messages=[
                    {"recipientIds": [uid(sales1)], "subject": "Your target", "body": "12"},
                    {"recipientIds": [uid(sales2)], "subject": "Your target", "body": "9"},
                    {"recipientIds": [uid(sales1), uid(sales2)], "subject": "Both", "body": "."},
                ],
            )
        )["r"]
        assert result["__typename"] == "MessagesSuccess", result
        first, second, both = (m["id"] for m in result["items"])
        assert first < second < both  # in the order given
        pushed = [(await live.next_data())["messages"] for _ in range(2)]
        assert sorted((m["id"], m["body"]) for m in pushed) == [(first, "12"), (both, ".")]
        assert await live.nothing_within(0.1)
    assert [(m["id"], m["body"]) for m in (await inbox(sales1))[0]] == [(both, "."), (first, "12")]
    assert [(m["id"], m["body"]) for m in (await inbox(sales2))[0]] == [(both, "."), (second, "9")]
    assert await inbox(sales3) == ([], 0)


async def test_one_bad_message_refuses_the_whole_call_and_names_it(
    manager1: GraphQLClient, sales1: GraphQLClient
) -> None:
    good = {"recipientIds": [uid(sales1)], "subject": "Hello", "body": "Hi."}
    for messages, fields in (
        ([good, {**good, "subject": " "}], ["messages[1].subject"]),
        ([good, good, {**good, "recipientIds": []}], ["messages[2].recipientIds"]),
        ([good, {**good, "recipientIds": [987654]}], ["messages[1].recipientIds"]),
        ([], ["messages"]),
        ([good] * 101, ["messages"]),
        (  # 33,000 ids: more than PostgreSQL takes as parameters of one statement
            [{**good, "recipientIds": list(range(i * 500, (i + 1) * 500))} for i in range(66)],
            ["messages"],
        ),
    ):
        refused = (await manager1.data(SEND_MANY, messages=messages))["r"]
        assert refused["__typename"] == "InvalidInputError", refused
        assert [p["field"] for p in refused["problems"]] == fields
    assert await inbox(sales1) == ([], 0)
    assert await sent(manager1) == []


RECEIPTS = """{ sentMessages { edges { node { subject
  recipients { user { loginName } readAt } } } } }"""
THEIR_COPY = "{ inbox { edges { node { recipients { readAt } } } } }"


async def test_the_sender_sees_who_has_read_the_message(
    manager1: GraphQLClient, sales1: GraphQLClient, sales2: GraphQLClient
) -> None:
    sent_one = await send(manager1, [uid(sales2), uid(sales1)])
    await sales1.data(MARK, id=sent_one["item"]["id"])
    await send(manager1, [uid(sales2)], subject="Second")
    edges = (await manager1.data(RECEIPTS))["sentMessages"]["edges"]
    assert [edge["node"] for edge in edges] == [
        {"subject": "Second", "recipients": [{"user": {"loginName": "sales2"}, "readAt": None}]},
        {
            "subject": "Quarterly targets",
            "recipients": [
                {"user": {"loginName": "sales1"}, "readAt": NOW},
                {"user": {"loginName": "sales2"}, "readAt": None},
            ],
        },
    ]
    # A recipient does not see the others' reading.
    theirs = (await sales1.data(THEIR_COPY))["inbox"]["edges"]
    assert [edge["node"] for edge in theirs] == [{"recipients": None}]
