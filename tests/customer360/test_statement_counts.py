"""The customer 360 view costs the same number of SQL statements with 1 or 30 records per
part, and stays within 25 statements."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from gql_crm.clock import FrozenClock
from gql_crm.db.models import (
    CallRecord,
    Complaint,
    Contact,
    CustomerNote,
    Expense,
    ExpenseKind,
    ExpenseStatus,
    FollowUp,
    Invoice,
    PaymentPlan,
    Schedule,
    ServiceRecord,
    Task,
    User,
)
from gql_crm.services.payment import store_plans_met
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import add_order, make_customer, payment
from tests.fixtures.statements import Counted, counted_data
from tests.graphql_client import GraphQLClient

VIEW = """
query($id: Int!) {
  customer(id: $id) {
    id name kind city pool owner { id loginName } category { label } maturity { label }
    poolRelease { at reason }
    money { contractTotal receivedTotal outstandingTotal approvedExpenseTotal }
    primaryContact { id name mobile }
    contacts { id name }
    schedules(first: 30) { nodes { id title startsAt owner { loginName } } }
    tasks(first: 30) { nodes { id content dueAt done owner { loginName } } }
    followUps(first: 30) { nodes { id content author { loginName } method { label } contactName } }
    opportunities(first: 30) { nodes { id } }
    orders(first: 30) { nodes { id title amount received outstanding } }
    complaints(first: 30) { nodes { id status owner { loginName } } }
    serviceRecords(first: 30) { nodes { id serviceType owner { loginName } } }
    notes(first: 30) { nodes { id content owner { loginName } } }
    callRecords(first: 30) { nodes { id processed } }
    paymentPlans(first: 30) { nodes { id dueOn amount met } }
    payments(first: 30) { nodes { id amount } }
    invoices(first: 30) { nodes { id number } }
    expenses(first: 30) { nodes { id amount } }
    attachments { id }
    operationLog(first: 30) { nodes { action actor { loginName } } }
    sharedWith { loginName }
  }
}
"""


async def customer_with(services: Services, clock: FrozenClock, per_part: int) -> int:
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
            order = await add_order(session, customer_id, owner, f"o{j}", now)
            plan = PaymentPlan(
                order_id=order.id, due_on=at.date(), amount=Decimal("50.00"), created_at=now
            )
            session.add(plan)
            await session.flush()
            session.add(payment(order.id, "50.00", now, plan_id=plan.id, invoiced=True))
            await store_plans_met(session, order.id)
            session.add(
                Invoice(
                    order_id=order.id,
                    number=f"I-{customer_id}-{j}",
                    amount=Decimal("50.00"),
                    issued_on=now.date(),
                    created_at=now,
                )
            )
            session.add(
                Expense(
                    customer_id=customer_id,
                    kind=ExpenseKind.EXPENSE,
                    amount=Decimal("10.00"),
                    occurred_on=now.date(),
                    description="lunch",
                    owner_id=owner,
                    status=ExpenseStatus.APPROVED,
                    created_at=now,
                    updated_at=now,
                )
            )
    return customer_id


async def test_full_customer_view_is_constant(
    admin: GraphQLClient, services: Services, clock: FrozenClock
) -> None:
    one = await customer_with(services, clock, 1)
    thirty = await customer_with(services, clock, 30)
    small_data, small = await counted_data(admin, services, VIEW, id=one)
    data, large = await counted_data(admin, services, VIEW, id=thirty)
    assert (small_data["customer"]["id"], data["customer"]["id"]) == (one, thirty)
    parts = [
        "schedules", "tasks", "followUps", "orders", "complaints", "serviceRecords", "notes",
        "callRecords", "paymentPlans", "payments", "invoices", "expenses", "contacts",
    ]  # fmt: skip
    listed = {part: data["customer"][part] for part in parts}
    listed["contacts"] = {"nodes": listed["contacts"]}  # a plain list
    assert {part: len(nodes["nodes"]) for part, nodes in listed.items()} == dict.fromkeys(parts, 30)
    assert all(plan["met"] for plan in data["customer"]["paymentPlans"]["nodes"])
    assert len(small) == len(large), (len(small), len(large))
    large.assert_at_most(24)


LIST = """
{ customers(first: 50) { edges { node {
  id name lastFollowUpAt owner { loginName } primaryContact { name }
  followUps(first: 1) { nodes { content followedAt } }
  money { contractTotal receivedTotal outstandingTotal }
} } } }
"""


async def one_and_50_customers(
    admin: GraphQLClient, services: Services, clock: FrozenClock, query: str, records: int
) -> tuple[Counted, Counted]:
    """The statements of a customer list ``query`` over one customer with a record of each
    kind, then over 50 (the others with ``records`` of each kind)."""

    async def statements() -> Counted:
        data, counted = await counted_data(admin, services, query)
        assert data["customers"]["edges"]
        return counted

    await customer_with(services, clock, 1)
    small = await statements()
    for _ in range(49):
        await customer_with(services, clock, records)
    return small, await statements()


async def test_list_of_50_customers_is_constant(
    admin: GraphQLClient, services: Services, clock: FrozenClock
) -> None:
    small, large = await one_and_50_customers(admin, services, clock, LIST, 3)
    assert len(small) == len(large)
    large.assert_at_most(6)
