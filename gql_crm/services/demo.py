"""Demo data: one company, a department tree, three positions, five users and 200 customers
spread over every pool, with contacts and follow-ups. Idempotent."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.passwords import hash_password
from gql_crm.auth.permissions import ALL_PERMISSIONS, Action, Advanced, Module, basic
from gql_crm.db.models import (
    CallRecord,
    Complaint,
    ComplaintStatus,
    Contact,
    Customer,
    CustomerKind,
    CustomerNote,
    DataScope,
    DeliveryPlan,
    DeliveryRecord,
    Department,
    Expense,
    ExpenseKind,
    ExpenseStatus,
    FollowUp,
    Invoice,
    MaturityOption,
    Opportunity,
    OpportunityChange,
    OpportunityStage,
    OptionItem,
    OptionList,
    Order,
    OrderLine,
    PaymentPlan,
    PaymentRecord,
    Pool,
    Position,
    Product,
    Refund,
    Schedule,
    ServiceRecord,
    StageOutcome,
    Task,
    TemporaryOrigin,
    User,
)
from gql_crm.services.order import line_amount
from gql_crm.services.setting import ensure_defaults, get_settings

_SALES_MODULES = (
    Module.CUSTOMER,
    Module.CONTACT,
    Module.FOLLOWUP,
    Module.TASK,
    Module.OPPORTUNITY,
    Module.ORDER,
    Module.PAYMENT,
    Module.REFUND,
    Module.EXPENSE,
    Module.DOCUMENT,
)
_STAFF = sorted(
    [basic(m, a) for m in _SALES_MODULES for a in (Action.VIEW, Action.CREATE, Action.EDIT)]
    + [basic(Module.PRODUCT, Action.VIEW), basic(Module.ANNOUNCEMENT, Action.VIEW)]
)
_MANAGER = sorted(
    {
        *_STAFF,
        *(basic(m, a) for m in _SALES_MODULES for a in (Action.DELETE, Action.EXPORT)),
        basic(Module.STATISTICS, Action.VIEW),
        Advanced.VIEW_CONTACT_DETAILS,
        Advanced.EDIT_OTHERS_FOLLOWUPS,
        Advanced.APPROVE_EXPENSES,
        Advanced.RECORD_ANY_PAYMENT,
    }
)

POSITIONS = {
    "Administrator": ("Runs the company's CRM.", sorted(ALL_PERMISSIONS), DataScope.ALL),
    "Sales manager": ("Leads a sales department.", _MANAGER, DataScope.OWN_AND_SUBORDINATES),
    "Sales staff": ("Sells; may edit but not delete customers.", _STAFF, DataScope.OWN),
}
# login name -> (name, department, position, phone, e-mail)
USERS = {
    "admin": ("Administrator", "Head Office", "Administrator", "13800000000", "admin@example.com"),
    "manager1": ("Li Na", "Sales Dept 1", "Sales manager", "13811112222", "li.na@example.com"),
    "sales1": ("Wang Wei", "Sales Dept 1", "Sales staff", "13822223333", "wang.wei@example.com"),
    "sales2": ("Zhang Min", "Sales Dept 1", "Sales staff", "13833334444", "zhang.min@example.com"),
    "sales3": ("Liu Yang", "Sales Dept 2", "Sales staff", "13844445555", "liu.yang@example.com"),
}
# department -> (parent, manager)
DEPARTMENTS = {
    "Head Office": (None, "admin"),
    "Sales Dept 1": ("Head Office", "manager1"),
    "Sales Dept 2": ("Head Office", None),
}


async def seed_demo(
    session: AsyncSession, *, password: str, now: datetime, customers: bool = True
) -> bool:
    """Create the demo company unless it exists; True if it was created.

    ``customers=False`` creates the organisation only (what most tests start from).
    """
    await ensure_defaults(session)
    if await session.scalar(select(User.id).where(User.login_name == "admin")):
        return False
    settings = await get_settings(session)
    settings.company_name = "Demo Trading Co."

    positions: dict[str, Position] = {}
    for name, (description, permissions, scope) in POSITIONS.items():
        position = await session.scalar(select(Position).where(Position.name == name))
        if position is None:
            position = Position(
                name=name,
                description=description,
                permissions=permissions,
                data_scope=scope,
                created_at=now,
            )
            session.add(position)
        positions[name] = position

    departments: dict[str, Department] = {}
    for name, (parent_name, _manager) in DEPARTMENTS.items():
        department = Department(name=name, created_at=now)
        if parent_name is not None:
            department.parent_id = departments[parent_name].id
        session.add(department)
        await session.flush()
        departments[name] = department

    password_hash = hash_password(password)
    users: dict[str, User] = {}
    for login_name, (name, department_name, position_name, phone, email) in USERS.items():
        user = User(
            login_name=login_name,
            password_hash=password_hash,
            name=name,
            department_id=departments[department_name].id,
            position_id=positions[position_name].id,
            phone=phone,
            email=email,
            created_at=now,
        )
        session.add(user)
        users[login_name] = user
    await session.flush()
    for name, (_parent, manager) in DEPARTMENTS.items():
        if manager is not None:
            departments[name].manager_id = users[manager].id
    await session.flush()
    if customers:
        # A small temporary cap, so that trying the demo shows a claim refused at the cap.
        settings.temporary_pool_cap = 10
        await _seed_customers(session, users, now)
        await _seed_pipeline(session, users, now)
        await _seed_customer_records(session, now)
    return True


# owner -> (private, temporary) customers; the rest of the 200 are public or special.
_HOLDINGS = {"manager1": (4, 2), "sales1": (12, 8), "sales2": (10, 9), "sales3": (14, 6)}
_PUBLIC, _SPECIAL = 125, 10
_COMPANY_WORDS = (
    "Acme",
    "Blue River",
    "Golden Gate",
    "Harbor",
    "Jade",
    "Lotus",
    "Maple",
    "Northstar",
    "Orchid",
    "Pioneer",
    "Red Lantern",
    "Silverline",
    "Summit",
    "Sunrise",
    "Tianfu",
    "Zenith",
)
_COMPANY_KINDS = ("Trading", "Logistics", "Software", "Foods", "Machinery", "Textiles", "Media")
_CITIES = ("Shanghai", "Beijing", "Shenzhen", "Chengdu", "Hangzhou", "Wuhan", "Nanjing")
_PEOPLE = ("Chen", "Li", "Wang", "Zhang", "Liu", "Yang", "Zhao", "Huang", "Zhou", "Wu")
_GIVEN = ("Wei", "Fang", "Jun", "Lei", "Min", "Na", "Qiang", "Xin", "Yan", "Hui")


async def _seed_customers(session: AsyncSession, users: dict[str, User], now: datetime) -> None:
    """200 customers over every pool and salesperson, with contacts and follow-ups.

    Deterministic (fixed random seed) so that every demo looks the same.
    """
    rng = random.Random(20260301)
    grades = {o.label: o for o in await session.scalars(select(MaturityOption))}
    options = list(await session.scalars(select(OptionItem)))
    by_list = {kind: [o for o in options if o.list is kind] for kind in OptionList}
    plan: list[tuple[User | None, Pool]] = []
    for login_name, (private, temporary) in _HOLDINGS.items():
        plan += [(users[login_name], Pool.PRIVATE)] * private
        plan += [(users[login_name], Pool.TEMPORARY)] * temporary
    plan += [(None, Pool.PUBLIC)] * _PUBLIC + [(None, Pool.SPECIAL)] * _SPECIAL
    grade_for = {Pool.PRIVATE: "ABC", Pool.TEMPORARY: "DEF", Pool.PUBLIC: "GHIJ", Pool.SPECIAL: "J"}

    for index, (owner, pool) in enumerate(plan):
        entered = now - timedelta(days=rng.randint(0, 6), hours=rng.randint(0, 23))
        name = f"{rng.choice(_COMPANY_WORDS)} {rng.choice(_COMPANY_KINDS)} {index + 1:03d}"
        customer = Customer(
            kind=CustomerKind.INDIVIDUAL if index % 9 == 0 else CustomerKind.ENTERPRISE,
            name=name,
            short_name=name.split()[0],
            acquired_on=(entered - timedelta(days=rng.randint(0, 300))).date(),
            category_id=rng.choice(by_list[OptionList.CATEGORY]).id,
            source_id=rng.choice(by_list[OptionList.SOURCE]).id,
            status_id=rng.choice(by_list[OptionList.STATUS]).id,
            industry_id=rng.choice(by_list[OptionList.INDUSTRY]).id,
            maturity_id=grades[rng.choice(grade_for[pool])].id,
            city=rng.choice(_CITIES),
            owner_id=owner.id if owner else None,
            pool=pool,
            pool_entered_at=entered,
            temporary_origin=TemporaryOrigin.ENTERED if pool is Pool.TEMPORARY else None,
            created_by_id=owner.id if owner else users["admin"].id,
            created_at=entered,
            updated_at=entered,
        )
        session.add(customer)
        await session.flush()
        contacts = []
        for number in range(rng.randint(1, 3)):
            person = f"{rng.choice(_PEOPLE)} {rng.choice(_GIVEN)}"
            contacts.append(
                Contact(
                    customer_id=customer.id,
                    name=person,
                    mobile=f"13{rng.randint(100000000, 999999999)}",
                    email=f"{person.lower().replace(' ', '.')}{index}@example.com",
                    title=rng.choice(("Manager", "Buyer", "Director", "Engineer")),
                    is_primary=number == 0,
                    created_at=entered,
                    updated_at=entered,
                )
            )
        session.add_all(contacts)
        if owner is not None:
            for _ in range(rng.randint(0, 4)):
                followed_at = entered + (now - entered) * rng.random()
                session.add(
                    FollowUp(
                        customer_id=customer.id,
                        contact_id=None,
                        method_id=rng.choice(by_list[OptionList.FOLLOW_UP_METHOD]).id,
                        content=rng.choice(
                            (
                                "Introduced our catalogue.",
                                "Discussed prices.",
                                "Sent samples.",
                                "Asked for a quotation.",
                                "Visited their office.",
                            )
                        ),
                        followed_at=followed_at,
                        author_id=owner.id,
                        created_at=followed_at,
                    )
                )
                if customer.last_follow_up_at is None or followed_at > customer.last_follow_up_at:
                    customer.last_follow_up_at = followed_at
    await session.flush()


async def _seed_customer_records(session: AsyncSession, now: datetime) -> None:
    """A few to-dos, schedules, notes, calls, complaints and service records on three
    customers of each salesperson (those with orders first), so the customer view and the
    workbench show something."""
    rng = random.Random(20260302)  # its own sequence: the customers above stay as they were
    owned = list(
        await session.scalars(
            select(Customer)
            .where(Customer.owner_id.is_not(None))
            .order_by(exists().where(Order.customer_id == Customer.id).desc(), Customer.id)
        )
    )
    per_owner: dict[int, int] = {}
    for customer in owned:
        owner_id = customer.owner_id
        assert owner_id is not None
        if per_owner.get(owner_id, 0) >= 3:
            continue
        per_owner[owner_id] = per_owner.get(owner_id, 0) + 1
        common = {
            "customer_id": customer.id,
            "owner_id": owner_id,
            "created_by_id": owner_id,
            "created_at": now,
            "updated_at": now,
        }
        soon = now + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 8))
        session.add_all(
            [
                Task(**common, content="Send the revised quotation", due_at=soon),
                Task(
                    **common,
                    content="Confirm the contact's title",
                    due_at=now,
                    done=True,
                    done_at=now,
                ),
                Schedule(
                    **common,
                    title="Visit " + (customer.short_name or customer.name),
                    starts_at=soon,
                    ends_at=soon + timedelta(hours=1),
                    remind_at=soon - timedelta(hours=1),
                    place=customer.city,
                ),
                CustomerNote(**common, content="Prefers e-mail before calls."),
                CallRecord(
                    **common,
                    caller_number=f"0{rng.randint(100000000, 999999999)}",
                    called_at=now - timedelta(hours=rng.randint(1, 30)),
                    content="Asked about delivery times.",
                ),
                Complaint(
                    **common,
                    complaint_type="Delivery",
                    channel="phone",
                    complained_at=now - timedelta(days=rng.randint(1, 5)),
                    content="The last shipment arrived late.",
                    status=ComplaintStatus.IN_PROGRESS,
                ),
                ServiceRecord(
                    **common,
                    service_type="Training",
                    served_at=now - timedelta(days=rng.randint(1, 20)),
                    content="Trained two new users.",
                ),
            ]
        )
    await session.flush()


# code -> (name, price, cost, unit)
_PRODUCTS = {
    "CRM-STD": ("CRM seat, standard", "1200.00", "300.00", "seat/year"),
    "CRM-PRO": ("CRM seat, professional", "2400.00", "550.00", "seat/year"),
    "IMPL": ("Implementation service", "800.00", "500.00", "day"),
    "TRAIN": ("On-site training", "650.00", "300.00", "day"),
    "SCAN": ("Card scanner", "199.90", "120.00", "piece"),
}


async def _seed_pipeline(session: AsyncSession, users: dict[str, User], now: datetime) -> None:
    """Products, opportunities over every stage (with history), orders with lines, payment
    plans, payments, a refund, invoices, deliveries, and expenses waiting for approval."""
    rng = random.Random(20260302)
    categories = list(
        await session.scalars(
            select(OptionItem).where(OptionItem.list == OptionList.PRODUCT_CATEGORY)
        )
    )
    products = []
    for code, (name, price, cost, unit) in _PRODUCTS.items():
        product = Product(
            name=name,
            code=code,
            category_id=categories[0 if code.startswith("CRM") else 2 if code != "SCAN" else 1].id,
            price=Decimal(price),
            cost=Decimal(cost),
            unit=unit,
            is_active=True,
            created_at=now,
            updated_at=now,
        )
        session.add(product)
        products.append(product)
    stages = list(
        await session.scalars(select(OpportunityStage).order_by(OpportunityStage.sort_order))
    )
    await session.flush()
    today = now.date()
    for login_name in ("sales1", "sales2", "sales3", "manager1"):
        owner = users[login_name]
        customers = list(
            await session.scalars(
                select(Customer)
                .where(Customer.owner_id == owner.id, Customer.pool == Pool.PRIVATE)
                .order_by(Customer.id)
                .limit(4)
            )
        )
        for index, customer in enumerate(customers):
            stage = stages[(index * 2 + len(login_name)) % len(stages)]
            amount = Decimal(rng.randint(20, 400) * 100)
            probability = {StageOutcome.WON: 100, StageOutcome.LOST: 0}.get(
                stage.outcome, rng.choice((10, 20, 40, 60, 80))
            )
            opportunity = Opportunity(
                customer_id=customer.id,
                title=f"{customer.short_name or customer.name} CRM roll-out",
                stage_id=stage.id,
                amount=amount,
                probability=probability,
                expected_sign_date=today + timedelta(days=rng.randint(5, 80)),
                owner_id=owner.id,
                created_by_id=owner.id,
                created_at=now - timedelta(days=10),
                updated_at=now,
            )
            session.add(opportunity)
            await session.flush()
            session.add(
                OpportunityChange(
                    opportunity_id=opportunity.id,
                    changed_by_id=owner.id,
                    changed_at=now - timedelta(days=10),
                    to_stage_id=stages[0].id,
                    to_amount=amount,
                    to_probability=10,
                    to_expected_sign_date=opportunity.expected_sign_date,
                )
            )
            if stage.id != stages[0].id:
                session.add(
                    OpportunityChange(
                        opportunity_id=opportunity.id,
                        changed_by_id=owner.id,
                        changed_at=now - timedelta(days=2),
                        from_stage_id=stages[0].id,
                        to_stage_id=stage.id,
                        from_amount=amount,
                        to_amount=amount,
                        from_probability=10,
                        to_probability=probability,
                        from_expected_sign_date=opportunity.expected_sign_date,
                        to_expected_sign_date=opportunity.expected_sign_date,
                    )
                )
            if index < 2:
                await _seed_order(session, rng, customer, owner, products, now, refund=index == 0)
            session.add(
                Expense(
                    customer_id=customer.id,
                    kind=ExpenseKind.EXPENSE,
                    category="Entertainment" if index % 2 else "Travel",
                    amount=Decimal(rng.randint(5000, 90000)) / 100,
                    occurred_on=today - timedelta(days=index + 1),
                    description=f"Visit to {customer.name}",
                    owner_id=owner.id,
                    status=ExpenseStatus.PENDING,
                    created_at=now,
                    updated_at=now,
                )
            )
    await session.flush()


async def _seed_order(
    session: AsyncSession,
    rng: random.Random,
    customer: Customer,
    owner: User,
    products: list[Product],
    now: datetime,
    *,
    refund: bool,
) -> None:
    today = now.date()
    order = Order(
        customer_id=customer.id,
        title=f"{customer.short_name or customer.name} contract",
        amount=Decimal(0),
        amount_is_explicit=False,
        signed_on=today - timedelta(days=20),
        starts_on=today - timedelta(days=20),
        expires_on=today + timedelta(days=rng.randint(30, 365)),
        owner_id=owner.id,
        created_by_id=owner.id,
        created_at=now - timedelta(days=20),
        updated_at=now,
    )
    session.add(order)
    await session.flush()
    lines = []
    for position, product in enumerate(rng.sample(products, 2)):
        quantity = Decimal(rng.randint(1, 10))
        discount = Decimal(rng.choice(("0", "0.05", "0.1")))
        line = OrderLine(
            order_id=order.id,
            position=position,
            product_id=product.id,
            quantity=quantity,
            unit_price=product.price,
            discount=discount,
            amount=line_amount(quantity, product.price, discount),
        )
        session.add(line)
        lines.append(line)
    order.amount = sum((line.amount for line in lines), Decimal(0))
    await session.flush()
    half = (order.amount / 2).quantize(Decimal("0.01"))
    plans = [
        PaymentPlan(
            order_id=order.id, due_on=today - timedelta(days=10), amount=half, created_at=now
        ),
        PaymentPlan(
            order_id=order.id,
            due_on=today + timedelta(days=20),
            amount=order.amount - half,
            created_at=now,
        ),
    ]
    session.add_all(plans)
    await session.flush()
    session.add(
        PaymentRecord(
            order_id=order.id,
            plan_id=plans[0].id,
            sequence=1,
            paid_on=today - timedelta(days=9),
            amount=half,
            handler_id=owner.id,
            invoiced=True,
            created_by_id=owner.id,
            created_at=now,
        )
    )
    session.add(
        Invoice(
            order_id=order.id,
            number=f"INV-{order.id:05d}",
            amount=half,
            issued_on=today - timedelta(days=9),
            created_by_id=owner.id,
            created_at=now,
        )
    )
    first = lines[0]
    session.add(
        DeliveryPlan(
            order_line_id=first.id,
            due_on=today + timedelta(days=7),
            quantity=first.quantity,
            created_at=now,
        )
    )
    session.add(
        DeliveryRecord(
            order_line_id=first.id,
            delivered_on=today - timedelta(days=5),
            quantity=first.quantity,
            handler_id=owner.id,
            created_at=now,
        )
    )
    if refund:
        session.add(
            Refund(
                order_id=order.id,
                amount=Decimal("100.00"),
                refunded_at=now - timedelta(days=3),
                reason="One seat returned",
                created_by_id=owner.id,
                created_at=now,
            )
        )
    customer.closed_won_at = now - timedelta(days=20)
