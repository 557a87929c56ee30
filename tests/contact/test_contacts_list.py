"""The contacts list across every customer the caller may see: scope, masks, search that
does not reveal masked numbers, order and pages, in a constant number of statements."""

from __future__ import annotations

from typing import Any

from gql_crm.services.unit_of_work import Services
from tests.fixtures.graphql import create, maturity_ids
from tests.fixtures.statements import counted_data
from tests.graphql_client import GraphQLClient

CONTACTS = """
query($filter: ContactFilterInput, $sort: ContactSortInput, $first: Int, $after: String) {
  contacts(filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { name mobile email customer { name } } }
  }
}
"""


async def _seed(sales1: GraphQLClient, sales3: GraphQLClient, admin: GraphQLClient) -> None:
    grades = await maturity_ids(admin)
    await create(
        sales1,
        "Own Ltd",
        contacts=[
            {"name": "Ann", "mobile": "13911112222", "isPrimary": True},
            {"name": "Bob", "email": "bob@own.cn"},
        ],
        maturityId=grades["A"],
    )
    await create(sales1, "Public Ltd", contacts=[{"name": "Cid", "mobile": "13933334444"}])
    await create(
        sales3,
        "Far Ltd",
        contacts=[{"name": "Dan", "mobile": "13955556666"}],
        maturityId=grades["A"],
    )


async def _names(client: GraphQLClient, **arguments: Any) -> list[str]:
    found = (await client.data(CONTACTS, **arguments))["contacts"]
    assert found["totalCount"] == len(found["edges"])
    return [edge["node"]["name"] for edge in found["edges"]]


async def test_the_contacts_you_may_see_masked_as_elsewhere(
    sales1: GraphQLClient, sales3: GraphQLClient, admin: GraphQLClient
) -> None:
    await _seed(sales1, sales3, admin)
    listed = (await sales1.data(CONTACTS))["contacts"]["edges"]
    assert [edge["node"] for edge in listed] == [
        {"name": "Ann", "mobile": "13911112222", "email": None, "customer": {"name": "Own Ltd"}},
        {"name": "Bob", "mobile": None, "email": "bob@own.cn", "customer": {"name": "Own Ltd"}},
        # A public-pool customer's contact: seen, its number masked.
        {"name": "Cid", "mobile": "139****4444", "email": None, "customer": {"name": "Public Ltd"}},
    ]
    assert await _names(sales3) == ["Cid", "Dan"]
    assert await _names(admin) == ["Ann", "Bob", "Cid", "Dan"]

    # A masked number is not found by its hidden digits; your own are.
    assert await _names(sales1, filter={"search": "3333"}) == []
    assert await _names(sales1, filter={"search": "1111"}) == ["Ann"]
    assert await _names(sales1, filter={"search": "own.cn"}) == ["Bob"]
    assert await _names(sales1, filter={"search": "cid"}) == ["Cid"]
    assert await _names(sales1, filter={"isPrimary": False}) == ["Bob"]  # a sole one is primary


async def test_the_contacts_list_sorts_and_pages_in_constant_statements(
    sales1: GraphQLClient, sales3: GraphQLClient, admin: GraphQLClient, services: Services
) -> None:
    await _seed(sales1, sales3, admin)
    descending = {"field": "NAME", "descending": True}
    assert await _names(admin, sort=descending) == ["Dan", "Cid", "Bob", "Ann"]
    seen: list[str] = []
    after = None
    while True:
        page = (await admin.data(CONTACTS, first=1, after=after))["contacts"]
        seen += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["Ann", "Bob", "Cid", "Dan"]

    _, few = await counted_data(sales1, services, CONTACTS)
    grades = await maturity_ids(admin)
    for n in range(4):
        await create(sales1, f"More {n}", contacts=[{"name": f"Eve {n}"}], maturityId=grades["A"])
    _, many = await counted_data(sales1, services, CONTACTS)
    assert len(few) == len(many)
