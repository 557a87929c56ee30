"""Quick search never reveals contact details the searcher sees masked."""

from __future__ import annotations

from tests.fixtures.graphql import create, maturity_ids
from tests.graphql_client import GraphQLClient

SEARCH = "query($q: String!) { customers(filter: {search: $q}) { totalCount } }"


async def _hits(client: GraphQLClient, term: str) -> int:
    count: int = (await client.data(SEARCH, q=term))["customers"]["totalCount"]
    return count


async def test_phones_and_emails_are_searched_only_where_they_are_shown(
    sales1: GraphQLClient, manager1: GraphQLClient, admin: GraphQLClient, gql: GraphQLClient
) -> None:
    grades = await maturity_ids(admin)
    contact = {"name": "Quinn", "mobile": "13912345678", "email": "quinn@hidden.example"}
    await create(admin, "Open Pool Co", contacts=[contact])  # public: everyone sees it
    await create(
        sales1, "Own Co", maturityId=grades["A"], contacts=[{**contact, "mobile": "13987654321"}]
    )
    sales2 = await gql.as_user("sales2")

    # sales2 sees the public customer's contact masked: neither number nor e-mail finds it.
    assert await _hits(sales2, "1391234") == 0
    assert await _hits(sales2, "quinn@hidden") == 0
    assert await _hits(sales2, "Quinn") == 1  # names are shown, so they are searched
    # The owner finds their own customer by its contact's number...
    assert await _hits(sales1, "1398765") == 1
    # ...and whoever has the contact-details right finds both.
    assert await _hits(manager1, "quinn@hidden") == 2
