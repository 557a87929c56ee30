"""A page of documents with their folders, owners and uploaders, and of folders with their
parents and shares, costs the same for 2 or 20 of them."""

from __future__ import annotations

from gql_crm.services.unit_of_work import Services
from tests.document.support import PDF, SHARE, folder, upload
from tests.fixtures.statements import counted_data
from tests.fixtures.users import uid
from tests.graphql_client import GraphQLClient

DOCUMENTS = """
{ documents(search: "f") { edges { node { fileName owner { name } uploadedBy { name }
  folder { name parent { name } shares { canWrite user { name } } } } } } }
"""


async def _add(sales1: GraphQLClient, sales2: GraphQLClient, n: int) -> None:
    for i in range(n):
        parent = await folder(sales1, f"p{i}")
        inner = await folder(sales1, f"c{i}", parentId=parent)
        await sales1.data(SHARE, folderId=inner, userId=uid(sales2))
        await upload(sales1, f"f{i}.pdf", PDF, folderId=inner)


async def test_documents_cost_the_same_however_many(
    sales1: GraphQLClient, sales2: GraphQLClient, services: Services
) -> None:
    await _add(sales1, sales2, 2)
    data, few = await counted_data(sales1, services, DOCUMENTS)
    assert len(data["documents"]["edges"]) == 2
    await _add(sales1, sales2, 18)
    data, many = await counted_data(sales1, services, DOCUMENTS)
    assert len(data["documents"]["edges"]) == 20
    assert len(many) == len(few)
    many.assert_at_most(9)
