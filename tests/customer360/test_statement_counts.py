"""The customer 360 view costs the same number of SQL statements with 1 or 30 records per
part, and stays within 25 statements."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gql_crm.clock import FrozenClock
from gql_crm.db.models import (
    CallRecord,
    Complaint,
    Contact,
    CustomerNote,
    FollowUp,
    Schedule,
    ServiceRecord,
    Task,
    User,
)
from gql_crm.services.unit_of_work import Services
from tests.app.test_statement_counts import counting
from tests.graphql_client import GraphQLClient
from tests.sales import make_customer

VIEW = """
query($id: Int!) {
  customer(id: $id) {
    id name kind city pool owner { id loginName } category { label } maturity { label }
    poolRelease { at reason }
    money { contractTotal receivedTotal outstandingTotal approvedExpenseTotal }
    primaryContact { id name mobile }
    contacts { id name }
    schedules(first: 30) { id title startsAt owner { loginName } }
    tasks(first: 30) { id content dueAt done owner { loginName } }
    followUps(first: 30) { id content author { loginName } method { label } contactName }
    opportunities(first: 30) { id }
    orders(first: 30) { id title amount received outstanding }
    complaints(first: 30) { id status owner { loginName } }
    serviceRecords(first: 30) { id serviceType owner { loginName } }
    notes(first: 30) { id content owner { loginName } }
    callRecords(first: 30) { id processed }
    attachments { id }
    operationLog(first: 30) { action actor { loginName } }
    sharedWith { loginName }
  }
}
"""


async def _customer_with(services: Services, clock: FrozenClock, per_part: int) -> int:
    customer_id = await make_customer(services, "sales1", f"Customer x{per_part}")
    now = clock.now()
    async with services.database.writer() as session, session.begin():
        users = list(await session.scalars(select(User.id).order_by(User.id)))
        for j in range(per_part):
            owner = users[j % len(users)]
            common = {
                "customer_id": customer_id,
                "owner_id": owner,
                "created_by_id": owner,
                "created_at": now,
                "updated_at": now,
            }
            at = now + timedelta(hours=j)
            session.add(Task(**common, content=f"t{j}", due_at=at, done=j % 2 == 0))
            session.add(Schedule(**common, title=f"s{j}", starts_at=at, ends_at=at))
            session.add(CustomerNote(**common, content=f"n{j}"))
            session.add(CallRecord(**common, caller_number="1", called_at=at, content="c"))
            session.add(Complaint(**common, complaint_type="x", complained_at=at, content="c"))
            session.add(ServiceRecord(**common, service_type="x", served_at=at, content="c"))
            session.add(
                Contact(
                    customer_id=customer_id,
                    name=f"Contact {j}",
                    is_primary=j == 0,
                    created_at=now,
                    updated_at=now,
                )
            )
            session.add(
                FollowUp(
                    customer_id=customer_id,
                    content=f"f{j}",
                    followed_at=now - timedelta(hours=j),
                    author_id=owner,
                    created_at=now,
                )
            )
    return customer_id


async def _statements(client: GraphQLClient, services: Services, customer_id: int) -> int:
    with counting(services.database) as statements:
        data = await client.data(VIEW, id=customer_id)
    assert data["customer"]["id"] == customer_id
    return len(statements)


async def test_full_customer_view_is_constant(
    admin: GraphQLClient, services: Services, clock: FrozenClock
) -> None:
    one = await _customer_with(services, clock, 1)
    thirty = await _customer_with(services, clock, 30)
    small = await _statements(admin, services, one)
    large = await _statements(admin, services, thirty)
    data = await admin.data(VIEW, id=thirty)
    assert len(data["customer"]["tasks"]) == 30 and len(data["customer"]["notes"]) == 30
    print(f"customer view: {small} statements with 1 record per part, {large} with 30")
    assert small == large, (small, large)
    assert large <= 25, f"{large} statements for the full customer view"
