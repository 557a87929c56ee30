from __future__ import annotations

from gql_crm.db.models import OperationLog, Product
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import count
from tests.graphql_client import GraphQLClient

CREATE = """
mutation($input: ProductInput!) {
  createProduct(input: $input) {
    __typename
    ... on ProductSuccess { product { id code price cost unit isActive category { label } } }
    ... on InvalidInputError { code field problems { field message } }
    ... on ConflictError { code field message }
  }
}
"""
PRODUCTS = """
query($filter: ProductFilterInput) {
  products(filter: $filter) { totalCount edges { node { code price } } }
}
"""


async def test_admin_creates_products_and_staff_lists_them(
    admin: GraphQLClient, sales1: GraphQLClient
) -> None:
    result = (
        await admin.data(
            CREATE, input={"name": "CRM seat", "code": "CRM-1", "price": "1200.50", "cost": "300"}
        )
    )["createProduct"]
    assert result["__typename"] == "ProductSuccess"
    assert result["product"]["price"] == "1200.50"
    await admin.data(CREATE, input={"name": "Support", "code": "SUP-1", "price": "99.90"})
    listed = (await sales1.data(PRODUCTS, filter={"search": "crm"}))["products"]
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"] == {"code": "CRM-1", "price": "1200.50"}
    assert await sales1.error_codes(CREATE, input={"name": "x", "code": "X", "price": "1"}) == [
        "FORBIDDEN"
    ]


async def test_bad_products_are_refused_naming_every_field(
    admin: GraphQLClient, services: Services
) -> None:
    await admin.data(CREATE, input={"name": "A", "code": "A-1", "price": "1"})
    logged = await count(services, OperationLog)
    bad = (
        await admin.data(
            CREATE, input={"name": " ", "code": "B", "price": "-1", "cost": "0.001", "unit": ""}
        )
    )["createProduct"]
    assert bad["__typename"] == "InvalidInputError"
    assert {p["field"] for p in bad["problems"]} == {"name", "price", "cost", "unit"}
    duplicate = (await admin.data(CREATE, input={"name": "A", "code": "A-1", "price": "1"}))[
        "createProduct"
    ]
    assert duplicate == {
        "__typename": "ConflictError",
        "code": "CONFLICT",
        "field": "code",
        "message": duplicate["message"],
    }
    assert await count(services, Product) == 1
    assert await count(services, OperationLog) == logged
