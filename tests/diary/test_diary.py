"""The work diary: one entry a day, private unless shared with the leader, who may comment."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gql_crm.db.models import Notification
from gql_crm.db.models.diary import DiaryComment, DiaryEntry
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import count
from tests.fixtures.users import uid
from tests.graphql_client import GraphQLClient

WRITE = """
mutation($input: DiaryEntryInput!) {
  createDiaryEntry(input: $input) {
    __typename ... on DiaryEntrySuccess { entry { id } } ... on Error { code field message }
  }
}
"""
SHARE = """
mutation($id: Int!, $input: DiaryEntryInput!) {
  updateDiaryEntry(id: $id, input: $input) {
    __typename ... on DiaryEntrySuccess { entry { sharedWithLeader } } ... on Error { code }
  }
}
"""
COMMENT = """
mutation($id: Int!, $content: String!) {
  commentOnDiaryEntry(id: $id, content: $content) {
    __typename ... on DiaryCommentSuccess { comment { content author { loginName } } }
    ... on Error { code }
  }
}
"""
ENTRIES = """
query($mine: Boolean) {
  diaryEntries(mine: $mine) {
    edges { node { entryDate content owner { loginName } comments { content } } }
  }
}
"""


async def _entries(client: GraphQLClient, mine: bool = True) -> list[dict[str, Any]]:
    data = await client.data(ENTRIES, mine=mine)
    return [e["node"] for e in data["diaryEntries"]["edges"]]


async def _notified(services: Services, user_id: int, kind: str) -> int:
    async with services.database.reader() as session:
        rows = await session.scalars(
            select(Notification.id).where(
                Notification.user_id == user_id, Notification.kind == kind
            )
        )
        return len(rows.all())


async def test_a_diary_entry_shared_with_the_leader_gets_comments(
    sales1: GraphQLClient, sales2: GraphQLClient, sales3: GraphQLClient,
    manager1: GraphQLClient, services: Services,
) -> None:  # fmt: skip
    day = {"entryDate": "2026-03-02", "content": "拜访了三家客户 Visited three customers"}
    entry_id = (await sales1.data(WRITE, input=day))["createDiaryEntry"]["entry"]["id"]
    again = await sales1.data(WRITE, input={**day, "content": "again"})
    assert again["createDiaryEntry"]["code"] == "CONFLICT"
    assert again["createDiaryEntry"]["field"] == "entryDate"
    assert await count(services, DiaryEntry) == 1

    # Private: not even the leader sees it, nor may comment.
    assert await _entries(manager1, mine=False) == []
    denied = await manager1.data(COMMENT, id=entry_id, content="?")
    assert denied["commentOnDiaryEntry"]["code"] == "NOT_FOUND"

    shared = await sales1.data(SHARE, id=entry_id, input={**day, "sharedWithLeader": True})
    assert shared["updateDiaryEntry"]["entry"]["sharedWithLeader"] is True
    assert await _notified(services, uid(manager1), "diary") == 1
    [seen] = await _entries(manager1, mine=False)
    assert seen["owner"]["loginName"] == "sales1"
    # Others (a colleague, someone of another department) still do not.
    assert await _entries(sales2, mine=False) == await _entries(sales3, mine=False) == []

    said = await manager1.data(COMMENT, id=entry_id, content="很好 Well done")
    assert said["commentOnDiaryEntry"]["comment"]["author"]["loginName"] == "manager1"
    assert await _notified(services, uid(sales1), "diary_comment") == 1
    reply = await sales1.data(COMMENT, id=entry_id, content="谢谢")
    assert reply["commentOnDiaryEntry"]["__typename"] == "DiaryCommentSuccess"
    assert await _notified(services, uid(manager1), "diary_comment") == 1
    [mine] = await _entries(sales1)
    assert [c["content"] for c in mine["comments"]] == ["很好 Well done", "谢谢"]

    # The leader reads and comments but never changes the entry.
    changed = await manager1.data(SHARE, id=entry_id, input={**day, "content": "edited"})
    assert changed["updateDiaryEntry"]["code"] == "NOT_FOUND"
    assert await count(services, DiaryComment) == 2
