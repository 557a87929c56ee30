"""Correcting and listing payments: the order's status and the customer's totals follow an
edited payment exactly, the list shows what the caller's orders show."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from gql_crm.db.models import PaymentRecord, Refund
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import make_customer
from tests.fixtures.statements import counted_data
from tests.graphql_client import GraphQLClient

CREATE_ORDER = """mutation($customerId: Int!, $title: String!, $amount: Decimal!) {
  createOrder(customerId: $customerId, input: {title: $title, amount: $amount, lines: [],
    expiresOn: "2026-12-31"}) { ... on OrderSuccess { order { id } } } }"""
PAY = """mutation($orderId: Int!, $amount: Decimal!) {
  recordPayment(orderId: $orderId, input: {amount: $amount, paidOn: "2026-03-02"}) {
    ... on PaymentSuccess { payment { id } } } }"""
UPDATE = """mutation($id: Int!, $input: PaymentInput!) { updatePayment(id: $id, input: $input) {
  __typename ... on PaymentSuccess { payment { amount paidOn remarks handler { loginName } } }
  ... on AmountExceededError { limit } ... on Error { code field message } } }"""
STATE = """query($id: Int!, $customer: Int!) {
  order(id: $id) { status received outstanding }
  customer(id: $customer) { money { receivedTotal outstandingTotal } } }"""
PAYMENTS = """query($filter: PaymentFilterInput) { payments(filter: $filter, first: 100) {
  totalCount edges { node { amount order { title customer { name } } } } } }"""
LOG = """query($id: Int!) { operationLog(entityType: "order", entityId: $id, first: 5) {
  edges { node { action changes actor { loginName } } } } }"""


async def _order(client: GraphQLClient, customer: int, title: str, amount: str) -> int:
    created = await client.data(CREATE_ORDER, customerId=customer, title=title, amount=amount)
    return int(created["createOrder"]["order"]["id"])


async def _pay(client: GraphQLClient, order: int, amount: str) -> int:
    paid = await client.data(PAY, orderId=order, amount=amount)
    return int(paid["recordPayment"]["payment"]["id"])


async def _received(services: Services, order: int) -> Decimal:
    async with services.database.reader() as session:
        total = await session.scalar(
            select(func.coalesce(func.sum(PaymentRecord.amount), 0)).where(
                PaymentRecord.order_id == order
            )
        )
    return Decimal(total or 0).quantize(Decimal("0.01"))


def _fields(amount: str, **more: Any) -> dict[str, Any]:
    return {"amount": amount, "paidOn": "2026-03-02", **more}


async def test_a_corrected_payment_turns_a_paid_order_partly_paid(
    sales1: GraphQLClient, manager1: GraphQLClient, services: Services
) -> None:
    customer = await make_customer(services, "sales1")
    order = await _order(sales1, customer, "Seats", "100.00")
    payment = await _pay(sales1, order, "100.00")
    state = await sales1.data(STATE, id=order, customer=customer)
    assert state["order"]["status"] == "PAID"

    fixed = await manager1.data(UPDATE, id=payment, input=_fields("60", remarks=" typo "))
    assert fixed["updatePayment"] == {
        "__typename": "PaymentSuccess",
        "payment": {
            "amount": "60.00",
            "paidOn": "2026-03-02",
            "remarks": "typo",
            "handler": {"loginName": "sales1"},
        },
    }
    state = await sales1.data(STATE, id=order, customer=customer)
    received = await _received(services, order)
    assert received == Decimal("60.00")
    assert state == {
        "order": {"status": "PARTLY_PAID", "received": str(received), "outstanding": "40.00"},
        "customer": {"money": {"receivedTotal": str(received), "outstandingTotal": "40.00"}},
    }
    [entry, *_] = (await manager1.data(LOG, id=order))["operationLog"]["edges"]
    assert entry["node"] == {
        "action": "update_payment",
        "changes": {"received": ["100.00", "60.00"]},
        "actor": {"loginName": "manager1"},
    }


async def test_a_correction_stays_within_the_order_and_above_its_refunds(
    sales1: GraphQLClient, sales2: GraphQLClient, services: Services
) -> None:
    customer = await make_customer(services, "sales1")
    order = await _order(sales1, customer, "Seats", "100.00")
    first = await _pay(sales1, order, "30.00")
    await _pay(sales1, order, "50.00")
    over = (await sales1.data(UPDATE, id=first, input=_fields("50.01")))["updatePayment"]
    assert (over["__typename"], over["limit"], over["field"]) == (
        "AmountExceededError",
        "50.00",
        "amount",
    )
    await sales1.data(
        'mutation($o: Int!) { recordRefund(orderId: $o, amount: "70", reason: "Returned") '
        "{ __typename } }",
        o=order,
    )
    under = (await sales1.data(UPDATE, id=first, input=_fields("10")))["updatePayment"]
    assert (under["__typename"], under["field"]) == ("ConflictError", "amount")
    bad = (await sales1.data(UPDATE, id=first, input=_fields("-1")))["updatePayment"]
    assert bad["__typename"] == "InvalidInputError"
    # Another salesperson's order is not theirs to correct, and is not even seen.
    hidden = (await sales2.data(UPDATE, id=first, input=_fields("30")))["updatePayment"]
    assert hidden["__typename"] == "NotFoundError"
    assert await _received(services, order) == Decimal("80.00")
    async with services.database.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Refund)) == 1


async def test_the_payments_list_shows_the_payments_of_the_orders_you_see(
    sales1: GraphQLClient, sales3: GraphQLClient, manager1: GraphQLClient, services: Services
) -> None:
    mine = await make_customer(services, "sales1", "Mine Ltd")
    theirs = await make_customer(services, "sales3", "Theirs Ltd")
    await _pay(sales1, await _order(sales1, mine, "A", "100.00"), "40.00")
    await _pay(sales3, await _order(sales3, theirs, "B", "100.00"), "20.00")

    async def listed(client: GraphQLClient, **filter: Any) -> list[tuple[str, str, str]]:
        found = (await client.data(PAYMENTS, filter=filter or None))["payments"]
        assert found["totalCount"] == len(found["edges"])
        return [
            (
                e["node"]["amount"],
                e["node"]["order"]["title"],
                e["node"]["order"]["customer"]["name"],
            )
            for e in found["edges"]
        ]

    assert await listed(sales1) == [("40.00", "A", "Mine Ltd")]
    assert await listed(sales3) == [("20.00", "B", "Theirs Ltd")]
    assert await listed(manager1) == [("40.00", "A", "Mine Ltd")]  # sales3 is in another dept
    assert await listed(sales1, customerId=theirs) == []
    assert await listed(sales1, paidFrom="2026-03-03") == []
    assert await listed(sales1, paidTo="2026-03-02") == [("40.00", "A", "Mine Ltd")]

    # The orders and customers come in a constant number of statements.
    _, few = await counted_data(sales1, services, PAYMENTS)
    for n in range(5):
        await _pay(sales1, await _order(sales1, mine, f"More {n}", "10.00"), "10.00")
    _, many = await counted_data(sales1, services, PAYMENTS)
    assert len(few) == len(many)
