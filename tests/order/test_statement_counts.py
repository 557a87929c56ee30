"""Customer money totals and nested orders cost the same for 5 or 50 customers."""

from __future__ import annotations

from decimal import Decimal

from gql_crm.db.models import Customer, Refund
from gql_crm.services.unit_of_work import Services
from tests.conftest import START
from tests.fixtures.factories import customers_with_an_order, payment
from tests.fixtures.statements import Counted, counted_data
from tests.graphql_client import GraphQLClient

LIST = """
{
  customers(first: 60) { edges { node {
    id
    money { contractTotal receivedTotal refundedTotal outstandingTotal approvedExpenseTotal }
    orders(first: 3) { nodes { title amount received outstanding status payments { amount } } }
  } } }
}
"""


async def _add(services: Services, count: int) -> None:
    async for session, customer, order in customers_with_an_order(services, count):
        session.add(payment(order.id, "40.00"))
        session.add(
            Refund(
                order_id=order.id,
                amount=Decimal("5.00"),
                refunded_at=START,
                reason="r",
                created_at=START,
            )
        )
        (await session.get(Customer, customer)).closed_won_at = START  # type: ignore[union-attr]


async def _statements(admin: GraphQLClient, services: Services) -> Counted:
    data, counted = await counted_data(admin, services, LIST)
    edges = data["customers"]["edges"]
    assert edges and all(e["node"]["money"]["outstandingTotal"] == "60.00" for e in edges)
    return counted


async def test_money_totals_cost_the_same_for_5_or_50_customers(
    admin: GraphQLClient, services: Services
) -> None:
    await _add(services, 5)
    small = await _statements(admin, services)
    await _add(services, 45)
    large = await _statements(admin, services)
    assert len(small) == len(large)
    large.assert_at_most(7)
