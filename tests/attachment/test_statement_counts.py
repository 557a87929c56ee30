"""Attachments on a list of orders (and their customers) cost the same for 3 or 30 orders."""

from __future__ import annotations

import secrets
from decimal import Decimal

from sqlalchemy import select

from gql_crm.db.models import Attachment, AttachmentRecordType, Order, User
from gql_crm.services.unit_of_work import Services
from tests.conftest import START
from tests.fixtures.factories import make_customer
from tests.fixtures.statements import count_statements
from tests.graphql_client import GraphQLClient

LIST = """
{
  orders(first: 50) { edges { node {
    id
    attachments { fileName size uploadedBy { loginName } downloadUrl }
  } } }
  customers(first: 50) { edges { node { id attachments { fileName } } } }
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
            for record_type, record_id in (
                (AttachmentRecordType.ORDER, order.id),
                (AttachmentRecordType.ORDER, order.id),
                (AttachmentRecordType.CUSTOMER, customer),
            ):
                session.add(
                    Attachment(
                        record_type=record_type,
                        record_id=record_id,
                        file_name="contract.pdf",
                        content_type="application/pdf",
                        size=10,
                        sha256="0" * 64,
                        storage_key=secrets.token_hex(16),
                        uploaded_by_id=owner,
                        created_at=START,
                    )
                )


async def _statements(admin: GraphQLClient, services: Services, orders: int) -> int:
    async with count_statements(services.database) as statements:
        data = await admin.data(LIST)
    edges = data["orders"]["edges"]
    assert len(edges) == orders
    assert all(len(e["node"]["attachments"]) == 2 for e in edges)
    customers = data["customers"]["edges"]
    assert sum(len(e["node"]["attachments"]) for e in customers) == orders
    return len(statements)


async def test_attachments_cost_the_same_for_3_or_30_orders(
    admin: GraphQLClient, services: Services
) -> None:
    await _add(services, 3)
    few = await _statements(admin, services, 3)
    await _add(services, 27)
    many = await _statements(admin, services, 30)
    assert few == many
