"""The money parts of the customer view go through the orders and expenses the caller may
see, and show whether each payment plan is met."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from gql_crm.db.models import Invoice, PaymentPlan, Pool, User
from gql_crm.services.payment import store_plans_met
from gql_crm.services.unit_of_work import Services
from tests.conftest import START
from tests.fixtures.factories import add_order, make_customer, payment
from tests.graphql_client import GraphQLClient

SCHEDULE = """mutation($customer: Int!, $input: ScheduleInput!) { createSchedule(
  customerId: $customer, input: $input) { __typename } }"""
VIEW = """
query($id: Int!) { customer(id: $id) {
  paymentPlans { nodes { amount met } } payments { nodes { amount } }
  invoices { nodes { number } }
} }
"""


async def _order(services: Services, customer_id: int, owner: str, paid: str) -> None:
    async with services.database.writer() as session, session.begin():
        owner_id = await session.scalar(select(User.id).where(User.login_name == owner))
        assert owner_id is not None
        order = await add_order(session, customer_id, owner_id, f"{owner} order")
        for days, amount in ((1, "40.00"), (2, "60.00")):
            session.add(
                PaymentPlan(
                    order_id=order.id,
                    due_on=START.date().replace(day=days),
                    amount=Decimal(amount),
                    created_at=START,
                )
            )
        session.add(payment(order.id, paid))
        await store_plans_met(session, order.id)
        session.add(
            Invoice(
                order_id=order.id,
                number=f"{owner}-1",
                amount=Decimal(paid),
                issued_on=START.date(),
                created_at=START,
            )
        )


async def test_money_parts_follow_order_visibility(
    sales1: GraphQLClient, manager1: GraphQLClient, services: Services
) -> None:
    public = await make_customer(services, None, "Public", Pool.PUBLIC)
    await _order(services, public, "sales1", "50.00")
    await _order(services, public, "sales2", "100.00")

    mine = (await sales1.data(VIEW, id=public))["customer"]
    assert mine["paymentPlans"]["nodes"] == [
        {"amount": "40.00", "met": True},
        {"amount": "60.00", "met": False},
    ]
    assert mine["payments"]["nodes"] == [{"amount": "50.00"}]
    assert mine["invoices"]["nodes"] == [{"number": "sales1-1"}]

    everyone = (await manager1.data(VIEW, id=public))["customer"]
    assert sorted((p["amount"], p["met"]) for p in everyone["paymentPlans"]["nodes"]) == [
        ("40.00", True),
        ("40.00", True),
        ("60.00", False),
        ("60.00", True),
    ]
    assert sorted(i["number"] for i in everyone["invoices"]["nodes"]) == ["sales1-1", "sales2-1"]


async def test_upcoming_schedules_come_first(sales1: GraphQLClient, services: Services) -> None:
    customer_id = await make_customer(services, "sales1")
    for title, hours in (("past-far", -48), ("soon", 2), ("past-near", -1), ("later", 30)):
        at = (START + timedelta(hours=hours)).isoformat()
        schedule = {"title": title, "startsAt": at, "endsAt": at}
        made = await sales1.data(SCHEDULE, customer=customer_id, input=schedule)
        assert made["createSchedule"]["__typename"] == "CustomerRecordSuccess", made
    query = """query($id: Int!, $after: String) { customer(id: $id) {
      schedules(first: 1, after: $after) { edges { cursor node { title } } } } }"""
    titles, after = [], None
    while True:  # one at a time, across the turn from upcoming to past
        page = (await sales1.data(query, id=customer_id, after=after))["customer"]["schedules"]
        if not page["edges"]:
            break
        titles.append(page["edges"][0]["node"]["title"])
        after = page["edges"][0]["cursor"]
    assert titles == ["soon", "later", "past-near", "past-far"]
