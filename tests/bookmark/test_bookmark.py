"""Bookmarks: a user's own links, in folders and in their order; web addresses only."""

from __future__ import annotations

from gql_crm.db.models.bookmark import Bookmark
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import count
from tests.graphql_client import GraphQLClient

CREATE = """
mutation($input: BookmarkInput!) {
  createBookmark(input: $input) {
    __typename ... on BookmarkSuccess { bookmark { id } } ... on Error { code field message }
  }
}
"""
LIST = """
query($folder: String) { bookmarks(folder: $folder) { edges { node { title url folder } } } }
"""


async def test_bookmarks_in_folders_and_order(
    sales1: GraphQLClient, sales2: GraphQLClient, services: Services
) -> None:
    for title, url, folder, position in (
        ("Tax office", "https://tax.example.cn/", "Gov", 2),
        ("Customs", "https://customs.example.cn/", "Gov", 1),
        ("Maps", "https://maps.example.com/", None, 0),
    ):
        result = await sales1.data(
            CREATE, input={"title": title, "url": url, "folder": folder, "position": position}
        )
        assert result["createBookmark"]["__typename"] == "BookmarkSuccess"
    gov = await sales1.data(LIST, folder="Gov")
    assert [e["node"]["title"] for e in gov["bookmarks"]["edges"]] == ["Customs", "Tax office"]
    everything = await sales1.data(LIST)
    assert [e["node"]["title"] for e in everything["bookmarks"]["edges"]] == [
        "Maps", "Customs", "Tax office"
    ]  # fmt: skip
    assert (await sales2.data(LIST))["bookmarks"]["edges"] == []

    for url in ("javascript:alert(1)", "ftp://files.example.com/", "example.com"):
        refused = await sales1.data(CREATE, input={"title": "x", "url": url})
        assert refused["createBookmark"]["field"] == "url", url
    assert await count(services, Bookmark) == 3
