"""The notification bell as queries: paging, unread filters and counts, marking read, and a
many-recipient announcement (one broadcast event) delivered live with per-user ids."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from gql_crm.auth.passwords import hash_password
from gql_crm.db.engine import Database
from gql_crm.db.models import Department, Notification, User
from gql_crm.services.notification import (
    BROADCAST_THRESHOLD,
    UnreadCounts,
    read_recipient_entry,
)
from tests.conftest import DEMO_PASSWORD, START
from tests.fixtures.graphql import department_ids
from tests.fixtures.live import subscribed
from tests.fixtures.users import uid
from tests.graphql_client import GraphQLClient

NOW = "2026-03-02T09:00:00+00:00"

PAGE = """query($first: Int, $after: String, $unread: Boolean! = false) {
  notifications(first: $first, after: $after, unreadOnly: $unread) {
    totalCount edges { cursor node { id category kind title linkType linkId readAt createdAt } }
    pageInfo { hasNextPage endCursor } } }"""
COUNTS = "{ unreadNotificationCounts { personal system total } }"
MARK = """mutation($id: Int!) { r: markNotificationRead(id: $id) { __typename
  ... on NotificationSuccess { notification { id readAt } }
  ... on Error { code message field } } }"""
MARK_ALL = """mutation($category: NotificationCategory) {
  r: markAllNotificationsRead(category: $category) { marked } }"""
WORK_LOG = """mutation($leader: Int!, $content: String!) {
  r: submitWorkLog(leaderId: $leader, logDate: "2026-03-02", content: $content) {
    __typename ... on WorkLogSuccess { workLog { id } } } }"""
ANNOUNCE = """mutation($title: String!, $audience: Audience! = EVERYONE, $ids: [Int!]! = []) {
  r: createAnnouncement(publish: true, input: {title: $title, content: "Details.",
    audience: $audience, audienceIds: $ids}) {
    __typename ... on AnnouncementSuccess { announcement { id } } } }"""
LIVE_BELL = """subscription { notifications {
  notification { id category kind title linkType linkId readAt createdAt }
  unreadCounts { personal system total } } }"""
EXTRA_USERS = BROADCAST_THRESHOLD + 5  # with the 5 demo users, well over the threshold


async def page(
    client: GraphQLClient, first: int | None = None, after: str | None = None, unread: bool = False
) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(PAGE, first=first, after=after, unread=unread))[
        "notifications"
    ]
    return result


def ids_of(connection: dict[str, Any]) -> list[int]:
    return [edge["node"]["id"] for edge in connection["edges"]]


async def counts(client: GraphQLClient) -> dict[str, int]:
    result: dict[str, int] = (await client.data(COUNTS))["unreadNotificationCounts"]
    return result


async def work_log(author: GraphQLClient, leader: GraphQLClient, n: int) -> int:
    result = (await author.data(WORK_LOG, leader=uid(leader), content=f"Day {n}"))["r"]
    assert result["__typename"] == "WorkLogSuccess", result
    log_id: int = result["workLog"]["id"]
    return log_id


async def announce(admin: GraphQLClient, title: str, **variables: Any) -> int:
    result = (await admin.data(ANNOUNCE, title=title, **variables))["r"]
    assert result["__typename"] == "AnnouncementSuccess", result
    announcement_id: int = result["announcement"]["id"]
    return announcement_id


async def test_notifications_are_paged_newest_first_and_cursors_survive_new_arrivals(
    sales1: GraphQLClient, manager1: GraphQLClient
) -> None:
    logs = [await work_log(sales1, manager1, n) for n in range(5)]
    everything = await page(manager1)
    assert everything["totalCount"] == 5
    assert [e["node"]["linkId"] for e in everything["edges"]] == logs[::-1]
    newest_first = ids_of(everything)
    assert newest_first == sorted(newest_first, reverse=True)
    assert {e["node"]["kind"] for e in everything["edges"]} == {"work_log"}
    assert {e["node"]["createdAt"] for e in everything["edges"]} == {NOW}

    first = await page(manager1, first=2)
    assert ids_of(first) == newest_first[:2]
    assert first["totalCount"] == 5
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]

    # a notification arriving meanwhile does not shift the next page
    newer = await work_log(sales1, manager1, 99)
    second = await page(manager1, first=2, after=first["pageInfo"]["endCursor"])
    assert ids_of(second) == newest_first[2:4]
    assert second["pageInfo"]["hasNextPage"] is True
    third = await page(manager1, first=2, after=second["pageInfo"]["endCursor"])
    assert ids_of(third) == newest_first[4:]
    assert third["pageInfo"]["hasNextPage"] is False
    assert ids_of(await page(manager1, first=2, after=third["pageInfo"]["endCursor"])) == []
    for bad in ("not-a-cursor", ""):
        assert await manager1.error_codes(PAGE, first=2, after=bad) == ["BAD_USER_INPUT"]
    assert await manager1.error_codes(PAGE, first=-1) == ["BAD_USER_INPUT"]

    latest = await page(manager1, first=1)
    assert latest["edges"][0]["node"]["linkId"] == newer
    assert latest["totalCount"] == 6
    assert (await page(sales1))["totalCount"] == 0  # the author's bell stays empty


async def test_unread_counts_split_personal_and_system_and_marking_read(
    sales1: GraphQLClient, manager1: GraphQLClient, sales2: GraphQLClient, admin: GraphQLClient
) -> None:
    await work_log(sales1, manager1, 1)
    await work_log(sales2, manager1, 2)
    await work_log(sales2, manager1, 3)
    await announce(admin, "Holiday")
    await announce(admin, "New price list")
    assert await counts(manager1) == {"personal": 3, "system": 2, "total": 5}
    everything = await page(manager1)
    assert [e["node"]["category"] for e in everything["edges"]] == [
        "SYSTEM",
        "SYSTEM",
        "PERSONAL",
        "PERSONAL",
        "PERSONAL",
    ]
    ids = ids_of(everything)

    marked = (await manager1.data(MARK, id=ids[2]))["r"]
    assert marked == {
        "__typename": "NotificationSuccess",
        "notification": {"id": ids[2], "readAt": NOW},
    }
    again = (await manager1.data(MARK, id=ids[2]))["r"]
    assert again["notification"]["readAt"] == NOW
    assert await counts(manager1) == {"personal": 2, "system": 2, "total": 4}
    unread = await page(manager1, unread=True)
    assert ids_of(unread) == [ids[0], ids[1], ids[3], ids[4]]
    assert unread["totalCount"] == 4
    assert [e["node"]["readAt"] for e in (await page(manager1))["edges"]] == [
        None,
        None,
        NOW,
        None,
        None,
    ]

    # another user's notification, and one that does not exist: not found, nothing changes
    theirs = ids_of(await page(sales1))
    assert len(theirs) == 2
    for target in (theirs[0], 987654):
        refused = (await manager1.data(MARK, id=target))["r"]
        assert refused["__typename"] == "NotFoundError", refused
        assert refused["code"] == "NOT_FOUND"
        assert refused["field"] == "id"
    assert await counts(sales1) == {"personal": 0, "system": 2, "total": 2}
    assert [e["node"]["readAt"] for e in (await page(sales1))["edges"]] == [None, None]

    system = (await manager1.data(MARK_ALL, category="SYSTEM"))["r"]
    assert system == {"marked": 2}
    assert await counts(manager1) == {"personal": 2, "system": 0, "total": 2}
    assert ids_of(await page(manager1, unread=True)) == [ids[3], ids[4]]
    assert await counts(sales1) == {"personal": 0, "system": 2, "total": 2}  # untouched

    rest = (await manager1.data(MARK_ALL))["r"]
    assert rest == {"marked": 2}
    assert (await manager1.data(MARK_ALL))["r"] == {"marked": 0}
    assert await counts(manager1) == {"personal": 0, "system": 0, "total": 0}
    assert ids_of(await page(manager1, unread=True)) == []
    assert (await page(manager1))["totalCount"] == 5
    assert await counts(sales2) == {"personal": 0, "system": 2, "total": 2}


async def _add_users(database: Database, department: str) -> list[str]:
    names = [f"extra{n:02d}" for n in range(EXTRA_USERS)]
    async with database.writer() as session, session.begin():
        department_id = await session.scalar(
            select(Department.id).where(Department.name == department)
        )
        password_hash = hash_password(DEMO_PASSWORD)
        session.add_all(
            User(
                login_name=name,
                password_hash=password_hash,
                name=f"Extra {name}",
                department_id=department_id,
                created_at=START,
            )
            for name in names
        )
    return names


async def _stored(database: Database, announcement_id: int) -> int:
    async with database.reader() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.link_type == "announcement", Notification.link_id == announcement_id
            )
        )
    return int(found or 0)


async def test_an_announcement_to_many_recipients_reaches_live_subscribers_with_their_own_ids(
    app: Starlette,
    database: Database,
    gql: GraphQLClient,
    admin: GraphQLClient,
    sales1: GraphQLClient,
    sales2: GraphQLClient,
) -> None:
    names = await _add_users(database, "Sales Dept 2")
    extra = await gql.as_user(names[7])
    await work_log(sales2, sales1, 1)  # sales1 already has one personal notification
    async with subscribed(app, LIVE_BELL, sales1, extra) as (first, second):
        announcement_id = await announce(admin, "Company outing")
        pushes = {}
        for client, live in ((sales1, first), (extra, second)):
            push = (await live.next_data())["notifications"]
            pushes[uid(client)] = push
            assert push["notification"]["kind"] == "announcement"
            assert push["notification"]["category"] == "SYSTEM"
            assert push["notification"]["title"] == "Company outing"
            assert push["notification"]["linkType"] == "announcement"
            assert push["notification"]["linkId"] == announcement_id
            assert push["notification"]["readAt"] is None
            assert push["notification"]["createdAt"] == NOW
            assert await live.nothing_within(0.1)  # exactly once
        assert pushes[uid(sales1)]["unreadCounts"] == {"personal": 1, "system": 1, "total": 2}
        assert pushes[uid(extra)]["unreadCounts"] == {"personal": 0, "system": 1, "total": 1}
        for client in (sales1, extra):
            newest = (await page(client, first=1))["edges"][0]["node"]
            assert newest["id"] == pushes[uid(client)]["notification"]["id"]
            assert newest["linkId"] == announcement_id
        assert pushes[uid(sales1)]["notification"]["id"] != pushes[uid(extra)]["notification"]["id"]
        assert await counts(sales1) == {"personal": 1, "system": 1, "total": 2}
    assert await _stored(database, announcement_id) == 5 + EXTRA_USERS


async def test_a_many_recipient_announcement_skips_live_subscribers_outside_its_audience(
    app: Starlette,
    database: Database,
    gql: GraphQLClient,
    admin: GraphQLClient,
    sales1: GraphQLClient,
) -> None:
    names = await _add_users(database, "Sales Dept 2")
    sales3 = await gql.as_user("sales3")
    async with subscribed(app, LIVE_BELL, sales1, sales3) as (outside, inside):
        departments = await department_ids(admin)
        announcement_id = await announce(
            admin, "Dept 2 meeting", audience="DEPARTMENTS", ids=[departments["Sales Dept 2"]]
        )
        push = (await inside.next_data())["notifications"]
        assert push["notification"]["linkId"] == announcement_id
        assert push["unreadCounts"] == {"personal": 0, "system": 1, "total": 1}
        assert push["notification"]["id"] == ids_of(await page(sales3))[0]
        assert await outside.nothing_within(0.2)
    assert await _stored(database, announcement_id) == 1 + len(names)
    assert (await page(sales1))["totalCount"] == 0


@pytest.mark.parametrize("entry", ["41 3 1", [41, 3, 1]], ids=["string", "list (older servers)"])
def test_a_broadcast_entry_reads_the_same_from_any_server_version(entry: str | list[int]) -> None:
    assert read_recipient_entry(entry) == (41, UnreadCounts(personal=3, system=1))
