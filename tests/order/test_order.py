from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from gql_crm.db.models import (
    Customer,
    DeliveryRecord,
    OperationLog,
    Order,
    OrderLine,
    PaymentRecord,
    Refund,
)
from gql_crm.db.models.setting import Pool
from gql_crm.services.pool import holding
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import add_order, count, make_customer, make_product
from tests.graphql_client import GraphQLClient

CREATE = """
mutation($customerId: Int!, $input: OrderInput!) {
  createOrder(customerId: $customerId, input: $input) {
    __typename
    ... on OrderSuccess { order { id amount amountIsExplicit status daysLeft lines { id amount } } }
    ... on Error { code field message }
    ... on InvalidInputError { problems { field } }
  }
}
"""
PAY = """
mutation($orderId: Int!, $input: PaymentInput!) {
  recordPayment(orderId: $orderId, input: $input) {
    __typename
    ... on PaymentSuccess { payment { sequence amount } }
    ... on AmountExceededError { code field limit message }
    ... on Error { code field }
  }
}
"""
REFUND = """
mutation($orderId: Int!, $amount: Decimal!) {
  recordRefund(orderId: $orderId, amount: $amount, reason: "Damaged goods") {
    __typename
    ... on AmountExceededError { code field limit }
    ... on Error { code field }
  }
}
"""
ORDER = """
query($id: Int!) {
  order(id: $id) {
    amount received refunded netAmount netReceived outstanding status daysLeft
    paymentPlans { amount met }
    payments { sequence amount handler { loginName } }
  }
}
"""
MONEY = """
{ customers(first: 100) { edges { node { id closedWonAt money {
  contractTotal receivedTotal refundedTotal netContractTotal netReceivedTotal outstandingTotal
} } } } }
"""


async def _order(client: GraphQLClient, customer: int, **input: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(CREATE, customerId=customer, input=input))[
        "createOrder"
    ]
    assert result["__typename"] == "OrderSuccess", result
    return result["order"]  # type: ignore[no-any-return]


async def test_sales1_signs_an_order_and_is_paid_in_instalments(
    sales1: GraphQLClient, services: Services
) -> None:
    customer = await make_customer(services, "sales1")
    seat, support = (
        await make_product(services, "SEAT", "333.33"),
        await make_product(services, "SUP", "99.99"),
    )
    order = await _order(
        sales1,
        customer,
        title="Seats",
        expiresOn="2026-03-31",
        lines=[
            {"productId": seat, "quantity": "3", "discount": "0.1"},  # 899.991 -> 899.99
            {"productId": support, "quantity": "2.5", "unitPrice": "100.01"},  # 250.025 -> 250.03
        ],
    )
    assert order["amount"] == "1150.02"
    assert [line["amount"] for line in order["lines"]] == ["899.99", "250.03"]
    assert (order["amountIsExplicit"], order["status"], order["daysLeft"]) == (False, "UNPAID", 29)
    async with services.database.reader() as session:
        won = await session.get(Customer, customer)
        assert won is not None and won.closed_won_at is not None

    for due, amount in (("2026-03-10", "500.00"), ("2026-03-20", "650.02")):
        plan = await sales1.data(
            "mutation($o: Int!, $d: Date!, $a: Decimal!) { addPaymentPlan(orderId: $o, dueOn: $d,"
            " amount: $a) { __typename ... on PaymentPlanSuccess { plan { met } } } }",
            o=order["id"],
            d=due,
            a=amount,
        )
        assert plan["addPaymentPlan"] == {
            "__typename": "PaymentPlanSuccess",
            "plan": {"met": False},
        }
    first = await sales1.data(
        PAY, orderId=order["id"], input={"amount": "600", "paidOn": "2026-03-02"}
    )
    assert first["recordPayment"]["payment"] == {"sequence": 1, "amount": "600.00"}
    state = (await sales1.data(ORDER, id=order["id"]))["order"]
    assert (state["status"], state["outstanding"]) == ("PARTLY_PAID", "550.02")
    assert [p["met"] for p in state["paymentPlans"]] == [True, False]
    too_much = (
        await sales1.data(
            PAY, orderId=order["id"], input={"amount": "550.03", "paidOn": "2026-03-02"}
        )
    )["recordPayment"]
    assert (too_much["__typename"], too_much["field"], too_much["limit"]) == (
        "AmountExceededError",
        "amount",
        "550.02",
    )
    await sales1.data(PAY, orderId=order["id"], input={"amount": "550.02", "paidOn": "2026-03-02"})
    state = (await sales1.data(ORDER, id=order["id"]))["order"]
    assert (state["status"], state["outstanding"], state["received"]) == ("PAID", "0.00", "1150.02")
    assert [p["met"] for p in state["paymentPlans"]] == [True, True]
    assert [p["sequence"] for p in state["payments"]] == [1, 2]
    assert {p["handler"]["loginName"] for p in state["payments"]} == {"sales1"}
    assert await count(services, PaymentRecord) == 2


async def test_refusals_write_nothing(sales1: GraphQLClient, services: Services) -> None:
    customer = await make_customer(services, "sales1")
    foreign = await make_customer(services, "sales3")
    product = await make_product(services, "P", "10.00")
    order = await _order(
        sales1, customer, title="Ten", lines=[{"productId": product, "quantity": "10"}]
    )
    await sales1.data(PAY, orderId=order["id"], input={"amount": "40", "paidOn": "2026-03-01"})
    rows = (Order, OrderLine, PaymentRecord, Refund, DeliveryRecord, OperationLog)
    before = [await count(services, model) for model in rows]

    invisible = await sales1.data(CREATE, customerId=foreign, input={"title": "x", "amount": "1"})
    assert (invisible["createOrder"]["__typename"], invisible["createOrder"]["field"]) == (
        "NotFoundError",
        "customerId",
    )
    negative = (
        await sales1.data(
            CREATE,
            customerId=customer,
            input={
                "title": "Bad",
                "amount": "-1",
                "lines": [{"productId": product, "quantity": "-2", "unitPrice": "-3"}],
            },
        )
    )["createOrder"]
    assert {p["field"] for p in negative["problems"]} == {
        "amount",
        "lines[0].quantity",
        "lines[0].unitPrice",
    }
    refund = (await sales1.data(REFUND, orderId=order["id"], amount="40.01"))["recordRefund"]
    assert (refund["__typename"], refund["limit"]) == ("AmountExceededError", "40.00")
    negative_pay = (
        await sales1.data(PAY, orderId=order["id"], input={"amount": "-5", "paidOn": "2026-03-01"})
    )["recordPayment"]
    assert (negative_pay["__typename"], negative_pay["field"]) == ("InvalidInputError", "amount")
    over = (
        await sales1.data(
            PAY, orderId=order["id"], input={"amount": "60.01", "paidOn": "2026-03-01"}
        )
    )["recordPayment"]
    assert over["__typename"] == "AmountExceededError"
    line_id = order["lines"][0]["id"]
    deliver = """mutation($l: Int!, $q: Decimal!) { recordDelivery(orderLineId: $l,
      deliveredOn: "2026-03-02", quantity: $q) { __typename ... on AmountExceededError { limit }
      ... on Error { field } } }"""
    assert (await sales1.data(deliver, l=line_id, q="6"))["recordDelivery"]["__typename"] == (
        "DeliverySuccess"
    )
    before[4] += 1
    before[5] += 1
    beyond = (await sales1.data(deliver, l=line_id, q="4.01"))["recordDelivery"]
    assert beyond == {"__typename": "AmountExceededError", "limit": "4.00", "field": "quantity"}
    negative_delivery = (await sales1.data(deliver, l=line_id, q="-1"))["recordDelivery"]
    assert negative_delivery == {"__typename": "InvalidInputError", "field": "quantity"}
    assert [await count(services, model) for model in rows] == before


async def test_two_racing_payments_cannot_overpay(
    sales1: GraphQLClient, services: Services
) -> None:
    customer = await make_customer(services, "sales1")
    order = await _order(sales1, customer, title="Race", amount="100.00", lines=[])
    results = await asyncio.gather(
        *(
            sales1.data(PAY, orderId=order["id"], input={"amount": "60", "paidOn": "2026-03-02"})
            for _ in range(2)
        )
    )
    kinds = sorted(r["recordPayment"]["__typename"] for r in results)
    assert kinds == ["AmountExceededError", "PaymentSuccess"]
    assert await count(services, PaymentRecord) == 1


async def test_totals_equal_an_independent_recomputation(
    sales1: GraphQLClient, manager1: GraphQLClient, services: Services
) -> None:
    rng = random.Random(11)
    customers = [await make_customer(services, "sales1", f"C{i}") for i in range(4)]
    customers.append(await make_customer(services, "sales2", "Other"))
    sales2 = await sales1.as_user("sales2")
    expected_order: dict[int, list[Decimal]] = {}
    by_customer: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for customer in customers:
        client = sales2 if customer == customers[-1] else sales1
        for _ in range(rng.randint(1, 3)):
            amount = Decimal(rng.randint(100, 1_000_000)) / 100
            order = await _order(client, customer, title="Deal", amount=str(amount), lines=[])
            received = refunded = Decimal(0)
            for _ in range(rng.randint(0, 3)):
                pay = min(amount - received, Decimal(rng.randint(1, 400_000)) / 100)
                if pay <= 0:
                    break
                await client.data(
                    PAY, orderId=order["id"], input={"amount": str(pay), "paidOn": "2026-03-01"}
                )
                received += pay
            if received and rng.random() < 0.6:
                back = min(received, Decimal(rng.randint(1, 100_000)) / 100)
                await manager1.data(REFUND, orderId=order["id"], amount=str(back))
                refunded += back
            expected_order[order["id"]] = [amount, received, refunded]
            totals = by_customer[customer]
            by_customer[customer] = [totals[0] + amount, totals[1] + received, totals[2] + refunded]

    for order_id, (amount, received, refunded) in expected_order.items():
        state = (await manager1.data(ORDER, id=order_id))["order"]
        assert [Decimal(state[k]) for k in ("amount", "received", "refunded")] == [
            amount,
            received,
            refunded,
        ]
        assert Decimal(state["outstanding"]) == amount - received
        assert Decimal(state["netAmount"]) == amount - refunded
        assert Decimal(state["netReceived"]) == received - refunded

    def totals_of(data: dict[str, Any]) -> dict[int, list[Decimal]]:
        return {
            e["node"]["id"]: [
                Decimal(e["node"]["money"][k])
                for k in ("contractTotal", "receivedTotal", "refundedTotal", "outstandingTotal")
            ]
            for e in data["customers"]["edges"]
        }

    expected = {c: [a, r, f, a - r] for c, (a, r, f) in by_customer.items()}
    assert totals_of(await manager1.data(MONEY)) == expected
    # sales1 sees only their own customers, with the same totals.
    assert totals_of(await sales1.data(MONEY)) == {
        c: v for c, v in expected.items() if c != customers[-1]
    }


async def test_deleted_orders_go_to_the_recycle_bin_and_back(
    manager1: GraphQLClient, sales1: GraphQLClient, services: Services
) -> None:
    customer = await make_customer(services, "sales1")
    order = await _order(sales1, customer, title="Bin me", amount="10.00", lines=[])
    staff = await sales1.execute(
        "mutation($id: Int!) { deleteOrder(id: $id) { __typename } }", id=order["id"]
    )
    assert staff["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    done = await manager1.data(
        "mutation($id: Int!) { deleteOrder(id: $id) { __typename } }", id=order["id"]
    )
    assert done["deleteOrder"]["__typename"] == "OrderSuccess"
    assert (await sales1.data(ORDER, id=order["id"]))["order"] is None
    money = (await manager1.data(MONEY))["customers"]["edges"][0]["node"]
    assert (money["closedWonAt"], money["money"]["contractTotal"]) == (None, "0.00")
    bin_ = await manager1.data("{ orderRecycleBin { edges { node { id } } } }")
    assert [e["node"]["id"] for e in bin_["orderRecycleBin"]["edges"]] == [order["id"]]
    await manager1.data(
        "mutation($id: Int!) { restoreOrder(id: $id) { __typename } }", id=order["id"]
    )
    assert (await sales1.data(ORDER, id=order["id"]))["order"]["amount"] == "10.00"
    money = (await manager1.data(MONEY))["customers"]["edges"][0]["node"]
    assert money["closedWonAt"] is not None and money["money"]["contractTotal"] == "10.00"


POOL_LIST = """
query($pool: Pool, $view: CustomerView!) {
  customers(filter: {pool: $pool, view: $view}, first: 100) { totalCount edges { node { name } } }
}
"""


async def test_a_closed_won_customer_leaves_the_private_pool_list_as_the_cap_counts(
    sales1: GraphQLClient, services: Services
) -> None:
    won = await make_customer(services, "sales1", "Won Co")
    await make_customer(services, "sales1", "Open Co")
    await _order(sales1, won, title="Deal", amount="10.00", lines=[])

    async def names(pool: str | None, view: str = "MINE") -> list[str]:
        found = (await sales1.data(POOL_LIST, pool=pool, view=view))["customers"]
        assert found["totalCount"] == len(found["edges"])
        return [edge["node"]["name"] for edge in found["edges"]]

    assert await names("PRIVATE") == ["Open Co"]
    assert await names(None, "CLOSED_WON") == ["Won Co"]
    assert sorted(await names(None)) == ["Open Co", "Won Co"]
    async with services.database.reader() as session:
        held = await session.scalar(select(func.count()).where(holding(Pool.PRIVATE)))
    assert held == 1


BY_STATUS = """query($filter: OrderFilterInput) { orders(filter: $filter, first: 100) {
  totalCount edges { node { title status expiresOn } } } }"""


async def test_orders_filter_by_status_and_expiry_as_their_status_reads(
    sales1: GraphQLClient, services: Services
) -> None:
    customer = await make_customer(services, "sales1")
    paid = await _order(sales1, customer, title="Paid", amount="100", lines=[])
    partly = await _order(sales1, customer, title="Partly", amount="100", lines=[])
    await _order(sales1, customer, title="Unpaid", amount="100", lines=[], expiresOn="2026-06-30")
    for order, amount in ((paid, "100"), (partly, "40")):
        await sales1.data(
            PAY, orderId=order["id"], input={"amount": amount, "paidOn": "2026-03-02"}
        )
    async with services.database.writer() as session, session.begin():
        row = await session.get(Customer, customer)
        assert row is not None and row.owner_id is not None
        me = row.owner_id
        await add_order(session, customer, me, "Expired", amount="100", expires_on=date(2026, 3, 1))

    async def titles(**filter: Any) -> list[str]:
        found = (await sales1.data(BY_STATUS, filter=filter))["orders"]
        assert found["totalCount"] == len(found["edges"])
        return sorted(e["node"]["title"] for e in found["edges"])

    everything = (await sales1.data(BY_STATUS, filter=None))["orders"]["edges"]
    for status in ("UNPAID", "PARTLY_PAID", "PAID", "EXPIRED"):
        shown = sorted(e["node"]["title"] for e in everything if e["node"]["status"] == status)
        assert await titles(status=status) == shown
        assert len(shown) == 1
    assert await titles(expiresFrom="2026-03-02") == ["Unpaid"]
    assert await titles(expiresTo="2026-03-02") == ["Expired"]
    assert await titles(status="UNPAID", expiresTo="2026-03-02") == []
