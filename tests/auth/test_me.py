from tests.graphql_client import GraphQLClient


async def test_me(sales1: GraphQLClient) -> None:
    data = await sales1.data(
        "{ me { id loginName name department { name } position { name dataScope } } }"
    )
    assert data["me"]["loginName"] == "sales1"
