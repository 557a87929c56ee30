"""Customer money totals and nested orders cost the same for 5 or 50 customers."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from gql_crm.db.models import Customer, Order, PaymentRecord, Refund, User
from gql_crm.services.unit_of_work import Services
from tests.conftest import START
from tests.fixtures.factories import make_customer
from tests.fixtures.statements import count_statements
from tests.graphql_client import GraphQLClient

LIST = """
{
  customers(first: 60) { edges { node {
    id
    money { contractTotal receivedTotal refundedTotal outstandingTotal approvedExpenseTotal }
    orders(first: 3) { title amount received outstanding status payments { amount } }
  } } }
}
"""


async def _add(services: Services, count: int) -> None:
    for i in range(count):
        customer = await make_customer(services, "sales1", f"Customer {i}")
        async with services.database.writer() as session, session.begin():
            owner = await session.scalar(select(User.id).where(User.login_name == "sales1"))
            assert owner is not None
            order = Order(
                customer_id=customer,
                title=f"Order {i}",
                amount=Decimal("100.00"),
                amount_is_explicit=True,
                owner_id=owner,
                created_at=START,
                updated_at=START,
            )
            session.add(order)
            await session.flush()
            session.add(
                PaymentRecord(
                    order_id=order.id,
                    sequence=1,
                    paid_on=START.date(),
                    amount=Decimal("40.00"),
                    invoiced=False,
                    created_at=START,
                )
            )
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


async def _statements(admin: GraphQLClient, services: Services) -> int:
    async with count_statements(services.database) as statements:
        data = await admin.data(LIST)
    edges = data["customers"]["edges"]
    assert edges and all(e["node"]["money"]["outstandingTotal"] == "60.00" for e in edges)
    return len(statements)


async def test_money_totals_cost_the_same_for_5_or_50_customers(
    admin: GraphQLClient, services: Services
) -> None:
    await _add(services, 5)
    small = await _statements(admin, services)
    await _add(services, 45)
    large = await _statements(admin, services)
    assert small == large
