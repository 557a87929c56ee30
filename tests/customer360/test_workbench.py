"""The workbench (F9.1): its figures against a recomputation from the rows put in, its
scope, and a statement count that does not grow with the data."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from gql_crm.db.models import (
    CallRecord,
    Complaint,
    ComplaintStatus,
    Customer,
    DeliveryPlan,
    DeliveryRecord,
    Order,
    OrderLine,
    PaymentPlan,
    PaymentRecord,
    Schedule,
    SystemSettings,
    Task,
    User,
)
from gql_crm.direct.compiled_planner import Planner
from gql_crm.services import payment as payment_service
from gql_crm.services.payment import store_plans_met
from gql_crm.services.unit_of_work import Services, UnitOfWork
from tests.conftest import START
from tests.fixtures.factories import add_order, make_customer, make_product, payment
from tests.fixtures.statements import counted_data
from tests.fixtures.users import principal
from tests.graphql_client import GraphQLClient

WORKBENCH = """
{ workbench(first: 100) {
  today
  schedules { id title startsAt }
  tasks { id dueAt }
  announcements { id }
  receivables { overdue plan { id amount dueOn } order { id title } }
  callRecords { id }
  complaints { id status }
  deliveryReminders { deliveredQuantity plan { id quantity } order { id } }
  mySalesThisMonth companySalesThisMonth
  releasingCustomers { id name owner { loginName } }
} }
"""


async def _seed(services: Services, owner: str, n: int) -> dict[str, Any]:
    """n of everything that belongs on the owner's workbench, plus rows that must not."""
    customer_id = await make_customer(services, owner, f"{owner} customer {n}")
    product = await make_product(services, f"P-{owner}-{n}")
    now = START
    expected: dict[str, Any] = {"schedules": 0, "tasks": 0, "calls": 0, "complaints": 0}
    async with services.database.writer() as session, session.begin():
        settings = await session.scalar(select(SystemSettings))
        assert settings is not None
        me = await session.scalar(select(User.id).where(User.login_name == owner))
        assert me is not None
        common = {
            "customer_id": customer_id,
            "owner_id": me,
            "created_at": now,
            "updated_at": now,
        }
        for j in range(n):
            soon = now + timedelta(days=1, hours=j)
            session.add(Schedule(**common, title=f"s{j}", starts_at=soon, ends_at=soon))
            session.add(Task(**common, content=f"t{j}", due_at=soon))
            session.add(CallRecord(**common, caller_number="1", called_at=now, content="c"))
            session.add(Complaint(**common, complaint_type="x", complained_at=now, content="c"))
        expected.update(schedules=n, tasks=n, calls=n, complaints=n)
        # Not on the workbench: too far ahead, done, processed, resolved, deleted.
        far = now + timedelta(days=10)
        session.add(Schedule(**common, title="far", starts_at=far, ends_at=far))
        session.add(Task(**common, content="done", due_at=now, done=True))
        session.add(Task(**common, content="binned", due_at=now, deleted_at=now))
        session.add(
            CallRecord(**common, caller_number="1", called_at=now, content="c", processed=True)
        )
        session.add(
            Complaint(
                **common,
                complaint_type="x",
                complained_at=now,
                content="c",
                status=ComplaintStatus.RESOLVED,
                resolution="ok",
            )
        )
        # Orders: n signed this month, one last month; plans 40 (overdue, met by a 40
        # payment) and 60 (due in 10 days, open) on each; one line delivered 2 of 5.
        for j in range(n + 1):
            this_month = j < n
            signed_on = (now if this_month else now - timedelta(days=40)).date()
            order = await add_order(session, customer_id, me, f"o{j}", now, signed_on=signed_on)
            first = PaymentPlan(
                order_id=order.id,
                due_on=(now - timedelta(days=5)).date(),
                amount=Decimal("40.00"),
                created_at=now,
            )
            second = PaymentPlan(
                order_id=order.id,
                due_on=(now + timedelta(days=10)).date(),
                amount=Decimal("60.00"),
                created_at=now,
            )
            session.add_all([first, second])
            await session.flush()
            session.add(payment(order.id, "40.00", now, plan_id=first.id))
            await store_plans_met(session, order.id)
            line = OrderLine(
                order_id=order.id,
                position=1,
                product_id=product,
                quantity=Decimal("5"),
                unit_price=Decimal("20.00"),
                discount=Decimal("0"),
                amount=Decimal("100.00"),
            )
            session.add(line)
            await session.flush()
            plan = DeliveryPlan(
                order_line_id=line.id,
                due_on=(now + timedelta(days=3)).date(),
                quantity=Decimal("5"),
                created_at=now,
            )
            session.add(plan)
            await session.flush()
            session.add(
                DeliveryRecord(
                    order_line_id=line.id,
                    plan_id=plan.id,
                    delivered_on=now.date(),
                    quantity=Decimal("2"),
                    created_at=now,
                )
            )
        expected["orders"] = n + 1
        expected["sales"] = Decimal("100.00") * n
        # Falls back to the public pool in two days; another only much later.
        entered = now - timedelta(days=settings.private_no_contact_days - 2)
        releasing = await session.get(Customer, customer_id)
        assert releasing is not None
        releasing.pool_entered_at = entered
        expected["releasing"] = [customer_id]
    await make_customer(services, owner, f"{owner} fresh {n}")
    return expected


async def test_workbench_figures(
    sales1: GraphQLClient, gql: GraphQLClient, services: Services
) -> None:
    expected = await _seed(services, "sales1", 3)
    other = await _seed(services, "sales2", 2)
    bench = (await sales1.data(WORKBENCH))["workbench"]
    assert len(bench["schedules"]) == expected["schedules"]
    assert [s["title"] for s in bench["schedules"]] == ["s0", "s1", "s2"]
    assert len(bench["tasks"]) == expected["tasks"]
    assert len(bench["callRecords"]) == expected["calls"]
    assert len(bench["complaints"]) == expected["complaints"]
    assert all(c["status"] != "RESOLVED" for c in bench["complaints"])
    # Each order has its 60 plan open (due in 10 days); the overdue 40 plan is met.
    assert len(bench["receivables"]) == expected["orders"]
    assert {r["plan"]["amount"] for r in bench["receivables"]} == {"60.00"}
    assert not any(r["overdue"] for r in bench["receivables"])
    assert len(bench["deliveryReminders"]) == expected["orders"]
    assert {Decimal(r["deliveredQuantity"]) for r in bench["deliveryReminders"]} == {2}
    assert Decimal(bench["mySalesThisMonth"]) == expected["sales"]
    # The company's total is the whole company's, beyond what sales1 may see.
    assert Decimal(bench["companySalesThisMonth"]) == expected["sales"] + other["sales"]
    assert [c["id"] for c in bench["releasingCustomers"]] == expected["releasing"]
    assert bench["announcements"] == []

    manager = await gql.as_user("manager1")
    theirs = (await manager.data(WORKBENCH))["workbench"]
    assert Decimal(theirs["mySalesThisMonth"]) == 0
    assert Decimal(theirs["companySalesThisMonth"]) == expected["sales"] + other["sales"]
    assert len(theirs["receivables"]) == expected["orders"] + other["orders"]
    assert theirs["tasks"] == [] and theirs["releasingCustomers"] == []


COMPANY_SALES = "{ workbench { companySalesThisMonth } }"
KEEP_COMPANY_SALES = """mutation { updateSystemSettings(input: {staffSeeCompanySales: false}) {
  __typename ... on SystemSettingsSuccess { settings { staffSeeCompanySales } } } }"""


async def test_the_company_may_keep_its_sales_total_from_staff(
    sales1: GraphQLClient, gql: GraphQLClient, services: Services
) -> None:
    expected = await _seed(services, "sales1", 2)
    admin = await gql.as_user("admin")
    kept = (await admin.data(KEEP_COMPANY_SALES))["updateSystemSettings"]
    assert kept["settings"] == {"staffSeeCompanySales": False}
    assert (await sales1.data(COMPANY_SALES))["workbench"]["companySalesThisMonth"] is None
    manager = await gql.as_user("manager1")
    assert (await manager.data(COMPANY_SALES))["workbench"]["companySalesThisMonth"] is None
    # Whoever sees the whole company still sees it.
    total = (await admin.data(COMPANY_SALES))["workbench"]["companySalesThisMonth"]
    assert Decimal(total) == expected["sales"]


async def test_overdue_receivables(sales1: GraphQLClient, services: Services) -> None:
    await _seed(services, "sales1", 1)
    async with services.database.writer() as session, session.begin():
        records = list(await session.scalars(select(PaymentRecord)))
        for record in records:
            await session.delete(record)
        await store_plans_met(session, *{record.order_id for record in records})
    bench = (await sales1.data(WORKBENCH))["workbench"]
    overdue = [r["plan"]["amount"] for r in bench["receivables"] if r["overdue"]]
    assert overdue == ["40.00", "40.00"]
    assert len(bench["receivables"]) == 4


async def test_receivables_are_the_first_open_plans_the_caller_may_see(
    gql: GraphQLClient, services: Services
) -> None:
    """Open plans of orders the caller may not see come first in due order (sales3's and
    sales2's, due dates running against the ids); each caller's page is still the first
    plans they may see, as a recomputation orders them."""
    await _seed(services, "sales3", 2)  # outside manager1's department
    await _seed(services, "sales2", 3)
    await _seed(services, "sales1", 3)
    async with services.database.writer() as session, session.begin():
        plans = list(await session.scalars(select(PaymentPlan).where(PaymentPlan.met.is_(False))))
        for n, plan in enumerate(sorted(plans, key=lambda plan: -plan.id)):
            plan.due_on = (START + timedelta(days=n // 2)).date()  # pairs share a day
        await store_plans_met(session, *{plan.order_id for plan in plans})
        by_owner = select(Order.id, User.login_name).join(User, User.id == Order.owner_id)
        owners = dict((await session.execute(by_owner)).all())
        due = sorted((plan.due_on, plan.id, owners[plan.order_id]) for plan in plans)
    sees = {"sales1": {"sales1"}, "sales2": {"sales2"}, "manager1": {"sales1", "sales2"}}
    for login_name, first in (
        ("sales1", 2), ("sales1", 20), ("sales2", 3), ("manager1", 5), ("admin", 5)
    ):  # fmt: skip
        client = await gql.as_user(login_name)
        query = f"{{ workbench(first: {first}) {{ receivables {{ plan {{ id }} }} }} }}"
        receivables = (await client.data(query))["workbench"]["receivables"]
        their = sees.get(login_name)
        seen = [plan_id for _, plan_id, owner in due if their is None or owner in their]
        assert [r["plan"]["id"] for r in receivables] == seen[:first], login_name


async def test_receivables_interleave_the_open_plans_of_orders(
    gql: GraphQLClient, services: Services
) -> None:
    """Orders with several open plans on a few days: an order's later plans fall between
    other orders' first ones, and many orders' first plans share a day. Every page, of any
    size, is the first open plans the caller may see, as a recomputation orders them."""
    await _seed(services, "sales1", 4)
    await _seed(services, "sales2", 2)
    days = random.Random(7)
    async with services.database.writer() as session, session.begin():
        live = select(Order.id).where(Order.deleted_at.is_(None)).order_by(Order.id.desc())
        orders = list(await session.scalars(live))
        for order_id in orders:  # the plans' ids run against their orders'
            for _ in range(3):
                day = (START + timedelta(days=days.randrange(4))).date()
                plan = PaymentPlan(order_id=order_id, due_on=day, created_at=START)
                plan.amount = Decimal("5")
                session.add(plan)
        await session.flush()
        await store_plans_met(session, *orders)
        open_plans = (
            select(PaymentPlan.due_on, PaymentPlan.id, User.login_name)
            .join(Order, Order.id == PaymentPlan.order_id)
            .join(User, User.id == Order.owner_id)
            .where(PaymentPlan.met.is_(False), Order.deleted_at.is_(None))
        )
        due = sorted((await session.execute(open_plans)).all())
    for login_name, theirs in (
        ("sales1", {"sales1"}), ("sales2", {"sales2"}), ("manager1", {"sales1", "sales2"})
    ):  # fmt: skip
        client = await gql.as_user(login_name)
        seen = [plan_id for _, plan_id, owner in due if owner in theirs]
        for first in (1, 2, 3, 5, 8, 13, 30):
            query = f"{{ workbench(first: {first}) {{ receivables {{ plan {{ id }} }} }} }}"
            receivables = (await client.data(query))["workbench"]["receivables"]
            assert [r["plan"]["id"] for r in receivables] == seen[:first], (login_name, first)


async def test_receivables_follow_what_is_left_to_collect(
    sales1: GraphQLClient, services: Services
) -> None:
    """A salesperson's receivables: the open plans of their orders and of a colleague's
    order on their customer. A paid-up order leaves them, and comes back when the payment
    is taken away."""
    customer = await make_customer(services, "sales1", "Collecting")
    async with services.database.writer() as session, session.begin():
        users = {name: id for name, id in await session.execute(select(User.login_name, User.id))}
        own = (await add_order(session, customer, users["sales1"], "own")).id
        colleagues = (await add_order(session, customer, users["sales2"], "colleague's")).id
    admin = await principal(services, "admin")
    async with UnitOfWork(services, admin) as uow:
        for order in (own, colleagues):
            due = (START + timedelta(days=3)).date()
            await payment_service.add_payment_plan(uow, order, due, Decimal("100.00"))

    async def collecting() -> list[str]:
        bench = (await sales1.data(WORKBENCH))["workbench"]
        return sorted(r["order"]["title"] for r in bench["receivables"])

    assert await collecting() == ["colleague's", "own"]
    paid = {"amount": Decimal("100.00"), "paid_on": START.date()}
    async with UnitOfWork(services, admin) as uow:
        record = await payment_service.record_payment(uow, own, paid)
    assert await collecting() == ["colleague's"]
    async with UnitOfWork(services, admin) as uow:
        await payment_service.delete_payment(uow, record.id)
    assert await collecting() == ["colleague's", "own"]


async def test_workbench_statement_count_is_constant(
    sales1: GraphQLClient, services: Services
) -> None:
    await _seed(services, "sales1", 1)
    _, small = await counted_data(sales1, services, WORKBENCH)
    await _seed(services, "sales1", 20)
    _, large = await counted_data(sales1, services, WORKBENCH)
    assert len(small) == len(large)
    large.assert_at_most(12)


async def test_assigned_records_stay_when_their_customer_leaves_the_scope(
    sales1: GraphQLClient, services: Services
) -> None:
    """Assignment is access: one's own to-dos, schedules, calls and complaints stay on the
    workbench when their customer goes to a colleague; the orders' money does not."""
    await _seed(services, "sales1", 2)
    parts = ("schedules", "tasks", "callRecords", "complaints")
    before = (await sales1.data(WORKBENCH))["workbench"]
    async with services.database.writer() as session, session.begin():
        sales2 = await session.scalar(select(User.id).where(User.login_name == "sales2"))
        for customer in await session.scalars(select(Customer)):
            customer.owner_id = sales2
    bench = (await sales1.data(WORKBENCH))["workbench"]
    assert {part: bench[part] for part in parts} == {part: before[part] for part in parts}
    assert all(bench[part] for part in parts)
    assert bench["receivables"] == []
    assert Decimal(bench["mySalesThisMonth"]) == 0


async def test_records_leave_with_their_deleted_customer(
    sales1: GraphQLClient, services: Services, clock: Any
) -> None:
    await _seed(services, "sales1", 2)
    async with services.database.writer() as session, session.begin():
        for customer in await session.scalars(select(Customer)):
            customer.deleted_at = clock.now()
    bench = (await sales1.data(WORKBENCH))["workbench"]
    parts = ("schedules", "tasks", "callRecords", "complaints", "receivables")
    assert {part: bench[part] for part in parts} == {part: [] for part in parts}


NAMED = """
{ workbench {
    schedules { customer { name } } tasks { customer { name } }
    callRecords { customer { name } } complaints { customer { name } }
    receivables { order { customer { name } opportunity { title } } plan { order { title } } }
} }
"""


def _customer_names(bench: dict[str, Any]) -> set[str | None]:
    names = {
        (record["customer"] or {}).get("name")
        for part in ("schedules", "tasks", "callRecords", "complaints")
        for record in bench[part]
    }
    return names | {r["order"]["customer"]["name"] for r in bench["receivables"]}


async def test_workbench_records_name_their_customer_in_constant_statements(
    sales1: GraphQLClient, services: Services
) -> None:
    await _seed(services, "sales1", 1)
    small, few = await counted_data(sales1, services, NAMED)
    await _seed(services, "sales1", 20)
    large, many = await counted_data(sales1, services, NAMED)
    assert _customer_names(small["workbench"]) == {"sales1 customer 1"}
    assert _customer_names(large["workbench"]) == {"sales1 customer 1", "sales1 customer 20"}
    assert all(r["plan"]["order"] for r in large["workbench"]["receivables"])
    assert len(few) == len(many)


async def test_an_assignee_outside_the_customers_scope_sees_the_record_not_the_customer(
    sales1: GraphQLClient, services: Services
) -> None:
    await _seed(services, "sales1", 1)
    async with services.database.writer() as session, session.begin():
        sales3 = await session.scalar(select(User.id).where(User.login_name == "sales3"))
        for customer in await session.scalars(select(Customer)):
            customer.owner_id = sales3
    bench = (await sales1.data(NAMED))["workbench"]
    assert bench["tasks"] and bench["schedules"]
    assert _customer_names({**bench, "receivables": []}) == {None}


def _full_workbench(first: int) -> str:
    """Every workbench field, and every field the compiled reads know of what it lists."""
    from tests.customer360.test_compiled import _selection

    def items(type_name: str, depth: int = 1) -> str:
        return f"{{ __typename {_selection(type_name, depth)} }}"

    return f"""
{{ workbench(first: {first}) {{
  __typename today mySalesThisMonth companySalesThisMonth
  schedules {items("Schedule")} tasks {items("Task")} announcements {items("Announcement")}
  callRecords {items("CallRecord")} complaints {items("Complaint")}
  releasingCustomers {items("Customer", 0)}
  receivables {{ __typename overdue plan {items("PaymentPlan")} order {items("Order")} }}
  deliveryReminders {{
    deliveredQuantity plan {items("DeliveryPlan")} order {{ id title owner {{ name }} }}
  }}
}} }}
"""


async def test_the_compiled_workbench_answers_as_strawberry_does(
    gql: GraphQLClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    if services.database.dialect != "postgresql":
        pytest.skip("compiled reads run on PostgreSQL")
    await _seed(services, "sales1", 3)
    await _seed(services, "sales2", 2)
    async with services.database.writer() as session, session.begin():
        for record in (await session.scalars(select(PaymentRecord))).all()[:2]:
            await session.delete(record)  # two plans overdue
    for staff_see_company_sales in (True, False):
        async with services.database.writer() as session, session.begin():
            settings = await session.scalar(select(SystemSettings))
            assert settings is not None
            settings.staff_see_company_sales = staff_see_company_sales
        for login_name in ("admin", "manager1", "sales1", "sales2"):
            client = await gql.as_user(login_name)
            for n in (0, 2, 20):
                query = _full_workbench(n)
                compiled, counted = await counted_data(client, services, query)
                counted.assert_at_most(3)  # the token's user and scope, then the workbench
                with monkeypatch.context() as patch:
                    patch.setattr(Planner, "prepare", lambda *_args: None)
                    reference = await client.data(query)
                assert json.dumps(compiled) == json.dumps(reference), (login_name, n)
    assert compiled["workbench"]["receivables"]  # sales2's, overdue or not
