"""No N+1: the number of SQL statements for a page does not grow with the data."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from gql_crm.db.models import (
    Contact,
    Customer,
    CustomerKind,
    CustomerShare,
    FollowUp,
    OptionItem,
    Pool,
    User,
)
from gql_crm.services.unit_of_work import Services
from tests.fixtures.statements import Counted, counted_data
from tests.graphql_client import GraphQLClient

LIST = """
{
  customers(first: 50, sort: {field: LAST_FOLLOW_UP_AT, direction: DESC}) {
    totalCount
    edges { node {
      id name pool poolRelease { at reason }
      owner { name department { name } }
      category { label } maturity { label pool }
      primaryContact { name mobile }
      contacts { name email }
      followUps(first: 3) { totalCount nodes { content author { name } method { label } } }
      sharedWith { name }
      operationLog(first: 2) { nodes { action actor { name } } }
    } }
  }
}
"""


async def _add_customers(services: Services, clock: FrozenClock, count: int, per_part: int) -> None:
    database = services.database
    async with database.writer() as session, session.begin():
        owners = list(await session.scalars(select(User).order_by(User.id)))
        option = await session.scalar(select(OptionItem).limit(1))
        assert option is not None
        for i in range(count):
            owner = owners[i % len(owners)]
            customer = Customer(
                kind=CustomerKind.ENTERPRISE,
                name=f"Customer {i}",
                category_id=option.id,
                owner_id=owner.id,
                pool=Pool.PRIVATE,
                pool_entered_at=clock.now(),
                created_at=clock.now(),
                updated_at=clock.now(),
            )
            session.add(customer)
            await session.flush()
            for j in range(per_part):
                session.add(
                    Contact(
                        customer_id=customer.id,
                        name=f"Contact {j}",
                        email=f"c{i}.{j}@example.com",
                        is_primary=j == 0,
                        created_at=clock.now(),
                        updated_at=clock.now(),
                    )
                )
                session.add(
                    FollowUp(
                        customer_id=customer.id,
                        content=f"call {j}",
                        method_id=option.id,
                        followed_at=clock.now() - timedelta(hours=j),
                        author_id=owners[j % len(owners)].id,
                        created_at=clock.now(),
                    )
                )
            session.add(
                CustomerShare(
                    customer_id=customer.id,
                    user_id=owners[(i + 1) % len(owners)].id,
                    created_at=clock.now(),
                )
            )


async def _statements_for_list(admin: GraphQLClient, database: Database) -> Counted:
    data, counted = await counted_data(admin, database, LIST)
    assert data["customers"]["edges"]
    return counted


async def test_customer_list_costs_the_same_for_5_or_50_customers(
    admin: GraphQLClient, services: Services, clock: FrozenClock
) -> None:
    await _add_customers(services, clock, count=5, per_part=1)
    small = await _statements_for_list(admin, services.database)
    await _add_customers(services, clock, count=45, per_part=6)
    large = await _statements_for_list(admin, services.database)
    assert len(small) == len(large)
    large.assert_at_most(11)
