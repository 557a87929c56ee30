"""Attachments on a list of orders (and their customers) cost the same for 3 or 30 orders."""

from __future__ import annotations

import secrets

from gql_crm.db.models import Attachment, AttachmentRecordType
from gql_crm.services.unit_of_work import Services
from tests.conftest import START
from tests.fixtures.factories import customers_with_an_order
from tests.fixtures.statements import Counted, counted_data
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
    async for session, customer, order in customers_with_an_order(services, count):
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
                    uploaded_by_id=order.owner_id,
                    created_at=START,
                )
            )


async def _statements(admin: GraphQLClient, services: Services, orders: int) -> Counted:
    data, counted = await counted_data(admin, services, LIST)
    edges = data["orders"]["edges"]
    assert len(edges) == orders
    assert all(len(e["node"]["attachments"]) == 2 for e in edges)
    customers = data["customers"]["edges"]
    assert sum(len(e["node"]["attachments"]) for e in customers) == orders
    return counted


async def test_attachments_cost_the_same_for_3_or_30_orders(
    admin: GraphQLClient, services: Services
) -> None:
    await _add(services, 3)
    few = await _statements(admin, services, 3)
    await _add(services, 27)
    many = await _statements(admin, services, 30)
    assert len(few) == len(many)
    many.assert_at_most(6)
