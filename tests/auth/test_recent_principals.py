"""A login token's principal, read for one request, is taken as it is by the next ones that
one compiled statement answers (PostgreSQL): that statement checks it still stands and, if
it does not, the principal is read again and the statement sent again for it. A change of
rights shows at once, as when every request read the principal first."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gql_crm.db.models import User
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import make_customer
from tests.fixtures.statements import count_statements
from tests.graphql_client import GraphQLClient

COUNT = "{ customers(first: 3) { totalCount } }"
POSITION = "{ me { position { id name description permissions dataScope } } }"
UPDATE = """
mutation($id: Int!, $input: PositionInput!) {
  updatePosition(id: $id, input: $input) { __typename }
}
"""
DEACTIVATE = "mutation($id: Int!) { setUserActive(id: $id, active: false) { __typename } }"

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _compiled_reads(services: Services) -> None:
    if services.database.dialect != "postgresql":
        pytest.skip("compiled reads run on PostgreSQL")


async def _count(client: GraphQLClient) -> int:
    total: int = (await client.data(COUNT))["customers"]["totalCount"]
    return total


async def test_the_next_request_is_one_statement_that_checks_the_principal(
    services: Services, non_admin: GraphQLClient
) -> None:
    """For a manager too: the members of the departments a scope covers are part of what
    the statement checks."""
    first = await _count(non_admin)
    async with count_statements(services) as counted:
        assert await _count(non_admin) == first
    assert len(counted) == 1, counted.statements
    assert "md5(" in counted.statements[0]


async def test_a_new_member_of_the_managers_department_shows_at_once(
    services: Services, manager1: GraphQLClient
) -> None:
    await make_customer(services, "sales1", "In the department")
    await make_customer(services, "sales3", "Elsewhere")
    assert await _count(manager1) == await _count(manager1) == 1
    async with services.database.writer() as session, session.begin():
        department = await session.scalar(
            select(User.department_id).where(User.login_name == "sales1")
        )
        sales3 = await session.scalar(select(User).where(User.login_name == "sales3"))
        assert sales3 is not None
        sales3.department_id = department
    assert await _count(manager1) == 2


async def test_a_wider_scope_shows_at_once(
    services: Services, admin: GraphQLClient, sales1: GraphQLClient
) -> None:
    await make_customer(services, "sales1", "Mine")
    await make_customer(services, "sales2", "A colleague's")
    own = await _count(sales1)
    assert await _count(sales1) == own  # the principal is a recent one now
    position = (await sales1.data(POSITION))["me"]["position"]
    given = {k: position[k] for k in ("name", "description", "permissions")}
    changed = await admin.data(UPDATE, id=position["id"], input={**given, "dataScope": "ALL"})
    assert changed["updatePosition"]["__typename"] == "PositionSuccess"
    assert own == 1
    assert await _count(sales1) == await _count(admin) == 2


async def test_a_lost_right_and_a_deactivation_show_at_once(
    admin: GraphQLClient, sales1: GraphQLClient
) -> None:
    await _count(sales1)
    await _count(sales1)
    position = (await sales1.data(POSITION))["me"]["position"]
    kept = [p for p in position["permissions"] if p != "customer:view"]
    given = {k: position[k] for k in ("name", "description", "dataScope")}
    await admin.data(UPDATE, id=position["id"], input={**given, "permissions": kept})
    assert await sales1.error_codes(COUNT) == ["FORBIDDEN"]
    await admin.data(
        UPDATE, id=position["id"], input={**given, "permissions": position["permissions"]}
    )
    await _count(sales1)
    await admin.data(DEACTIVATE, id=sales1.user_id)
    assert await sales1.error_codes(COUNT) == ["UNAUTHENTICATED"]
