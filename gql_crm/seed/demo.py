"""The demo company: a department tree, three positions, five users and 200 customers over
every pool, with contacts, follow-ups, opportunities, orders, payments, expenses and
customer records. Idempotent.

``seed_demo`` makes the company through the services, each record as the demo user who
would make it, on a FrozenClock moved through the demo's history (customers entered days
ago, follow-ups and payments in the past): placement by maturity, the pool caps, claims,
transfers, reclaim bans and the money limits the demo shows are the rules that run.

``seed_organisation`` writes only the organisation, directly, in the caller's transaction:
it is what every test starts from, so it stays quick (one password hash for everyone) and
leaves the operation log empty. tests/customer360/test_demo.py holds it equal to the
organisation the services make.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.passwords import hash_password
from gql_crm.auth.permissions import ALL_PERMISSIONS, Action, Advanced, Module, basic
from gql_crm.auth.principal import Principal
from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from gql_crm.db.models import (
    ComplaintStatus,
    CustomerKind,
    DataScope,
    Department,
    MaturityOption,
    OpportunityStage,
    OptionItem,
    OptionList,
    OrderLine,
    Pool,
    Position,
    StageOutcome,
    User,
)
from gql_crm.db.models.knowledge import ArticleStatus
from gql_crm.db.scopes import load_principal
from gql_crm.schema import customer_record as forms
from gql_crm.schema.follow_up import FollowUpInput
from gql_crm.schema.kit import values_of
from gql_crm.services import customer_record as records
from gql_crm.services import department as department_service
from gql_crm.services import knowledge
from gql_crm.services import position as position_service
from gql_crm.services import user as user_service
from gql_crm.services.contact import ContactFields
from gql_crm.services.customer import CustomerFields, create_customer
from gql_crm.services.customer_record import RecordKind
from gql_crm.services.expense import create_expense
from gql_crm.services.follow_up import create_follow_up
from gql_crm.services.opportunity import create_opportunity, update_opportunity
from gql_crm.services.order import (
    LineFields,
    add_delivery_plan,
    add_invoice,
    create_order,
    record_delivery,
)
from gql_crm.services.payment import add_payment_plan, record_payment, record_refund
from gql_crm.services.pool import TransferTarget, claim, transfer
from gql_crm.services.product import create_product
from gql_crm.services.setting import SettingsChange, get_settings, update_settings
from gql_crm.services.unit_of_work import Services, UnitOfWork
from gql_crm.settings import Settings
from gql_crm.subscriptions.bus import Bus

COMPANY_NAME = "Demo Trading Co."
# A small temporary cap, so that trying the demo shows a claim refused at the cap.
TEMPORARY_POOL_CAP = 10

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
    Module.TRAINING,
    Module.CAMPAIGN,
)
_STAFF = sorted(
    [basic(m, a) for m in _SALES_MODULES for a in (Action.VIEW, Action.CREATE, Action.EDIT)]
    + [basic(Module.PRODUCT, Action.VIEW), basic(Module.ANNOUNCEMENT, Action.VIEW)]
    + [basic(Module.CUSTOMER, Action.EXPORT)]  # "my customers" to a spreadsheet
    # Everyone tidies their own documents (into the recycle bin and out of it).
    + [basic(Module.DOCUMENT, Action.DELETE)]
)
_MANAGER = sorted(
    {
        *_STAFF,
        *(basic(m, a) for m in _SALES_MODULES for a in (Action.DELETE, Action.EXPORT)),
        basic(Module.STATISTICS, Action.VIEW),
        basic(Module.STATISTICS, Action.EXPORT),  # reports to a spreadsheet with a chart
        Advanced.VIEW_CONTACT_DETAILS,
        Advanced.EDIT_OTHERS_FOLLOWUPS,
        Advanced.APPROVE_EXPENSES,
        Advanced.RECORD_ANY_PAYMENT,
        Advanced.MANAGE_API_KEYS,
        Advanced.EDIT_KNOWLEDGE,
        Advanced.MANAGE_WEBHOOKS,
        Advanced.SEND_BULK_MESSAGES,
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


# ---- the organisation --------------------------------------------------------------------


async def _administrator(session: AsyncSession, password_hash: str, now: datetime) -> User:
    """The Administrator position and ``admin``: written directly, as by ``create-admin``,
    since no one exists yet who could create them."""
    description, permissions, scope = POSITIONS["Administrator"]
    position = Position(
        name="Administrator",
        description=description,
        permissions=permissions,
        data_scope=scope,
        created_at=now,
    )
    session.add(position)
    await session.flush()
    name, _department, _position, phone, email = USERS["admin"]
    admin = User(
        login_name="admin",
        password_hash=password_hash,
        name=name,
        position_id=position.id,
        phone=phone,
        email=email,
        created_at=now,
    )
    session.add(admin)
    await session.flush()
    return admin


async def seed_organisation(session: AsyncSession, *, password_hash: str, now: datetime) -> bool:
    """Positions, departments and users of the demo company, without customers, in the
    caller's transaction (defaults must exist); True if they were created. Every user gets
    ``password_hash`` (``auth.passwords.hash_password``): hashing takes a deliberate tenth of
    a second or more, which a caller seeding many times pays once."""
    if await session.scalar(select(User.id).where(User.login_name == "admin")):
        return False
    (await get_settings(session)).company_name = COMPANY_NAME
    users = {"admin": await _administrator(session, password_hash, now)}
    positions = {
        name: Position(
            name=name, description=description, permissions=permissions, data_scope=scope,
            created_at=now,
        )
        for name, (description, permissions, scope) in POSITIONS.items()
        if name != "Administrator"
    }  # fmt: skip
    session.add_all(positions.values())
    await session.flush()
    positions["Administrator"] = await session.get_one(Position, users["admin"].position_id)
    departments: dict[str, Department] = {}
    for name, (parent, manager) in DEPARTMENTS.items():
        departments[name] = Department(
            name=name,
            parent_id=departments[parent].id if parent else None,
            manager_id=users["admin"].id if manager == "admin" else None,
            created_at=now,
        )
        session.add(departments[name])
        await session.flush()
    users["admin"].department_id = departments["Head Office"].id
    for login_name, (name, department, position, phone, email) in USERS.items():
        if login_name != "admin":
            users[login_name] = User(
                login_name=login_name, password_hash=password_hash, name=name,
                department_id=departments[department].id, position_id=positions[position].id,
                phone=phone, email=email, created_at=now,
            )  # fmt: skip
            session.add(users[login_name])
    await session.flush()
    for name, (_parent, manager) in DEPARTMENTS.items():
        if manager is not None:
            departments[name].manager_id = users[manager].id
    await session.flush()
    return True


async def _organisation_through_services(demo: _Demo, password: str) -> None:
    """The organisation of ``seed_organisation``, made by ``admin`` through the services."""
    async with demo.services.database.writer() as session, session.begin():
        await _administrator(session, await asyncio.to_thread(hash_password, password), demo.now)
    async with demo.uow("admin", demo.now) as uow:
        await update_settings(
            uow,
            SettingsChange(company_name=COMPANY_NAME, temporary_pool_cap=TEMPORARY_POOL_CAP),
        )
        admin = await uow.session.get_one(User, uow.principal.user_id)
        positions = {"Administrator": admin.position_id}
        for name, (description, permissions, scope) in POSITIONS.items():
            if name != "Administrator":
                fields = dict(
                    name=name, description=description, permissions=tuple(permissions),
                    data_scope=scope,
                )  # fmt: skip
                positions[name] = (await position_service.create_position(uow, fields)).id
        departments: dict[str, int] = {}
        for name, (parent, manager) in DEPARTMENTS.items():
            department = await department_service.create_department(
                uow,
                name=name,
                parent_id=departments[parent] if parent else None,
                manager_id=uow.principal.user_id if manager == "admin" else None,
                sort_order=0,
            )
            departments[name] = department.id
        users: dict[str, int] = {"admin": uow.principal.user_id}
        for login_name, (name, department_name, position, phone, email) in USERS.items():
            user_fields = dict(
                name=name,
                department_id=departments[department_name],
                position_id=positions[position],
                phone=phone,
                email=email,
            )
            if login_name == "admin":
                await user_service.update_user(uow, users["admin"], user_fields)
            else:
                user = await user_service.create_user(uow, login_name, password, user_fields)
                users[login_name] = user.id
        for name, (_parent, manager) in DEPARTMENTS.items():
            if manager not in (None, "admin"):
                await department_service.set_department_manager(
                    uow, departments[name], users[manager]
                )


# ---- the whole company, through the services ----------------------------------------------


class _Demo:
    """The services on a FrozenClock, and units of work as a demo user at a given time."""

    def __init__(self, settings: Settings, database: Database, now: datetime) -> None:
        self.now = now
        self.today = now.date()
        self.clock = FrozenClock(now)
        self.bus = Bus("memory://")
        self.services = Services(
            settings=settings, database=database, clock=self.clock, bus=self.bus
        )
        self._principals: dict[str, Principal] = {}
        self.user_ids: dict[str, int] = {}

    async def principal(self, login_name: str) -> Principal:
        if login_name not in self._principals:
            async with self.services.database.reader() as session:
                user = await session.scalar(select(User).where(User.login_name == login_name))
                assert user is not None, login_name
                loaded = await load_principal(session, user.id, user.token_version)
            assert loaded is not None, login_name
            self._principals[login_name] = loaded
            self.user_ids[login_name] = user.id
        return self._principals[login_name]

    @asynccontextmanager
    async def uow(self, login_name: str, at: datetime) -> AsyncIterator[UnitOfWork]:
        """A unit of work of ``login_name`` happening at ``at``."""
        principal = await self.principal(login_name)
        self.clock.set(min(at, self.now))
        async with UnitOfWork(self.services, principal) as uow:
            yield uow


async def seed_demo(
    settings: Settings, database: Database, *, password: str, now: datetime
) -> bool:
    """Create the demo company unless it exists, its history ending at ``now``; True if it
    was created. The defaults (settings, option lists, stages) must exist."""
    async with database.reader() as session:
        if await session.scalar(select(User.id).where(User.login_name == "admin")):
            return False
    demo = _Demo(settings, database, now)
    await demo.bus.connect()
    try:
        await _organisation_through_services(demo, password)
        customers = await _customers(demo)
        orders = await _pipeline(demo, customers)
        await _customer_records(demo, customers, orders)
        await _knowledge(demo)
    finally:
        await demo.bus.disconnect()
    return True


# owner -> (private, temporary) customers; the rest of the 200 are public or special.
_HOLDINGS = {"manager1": (4, 2), "sales1": (12, 8), "sales2": (10, 9), "sales3": (14, 6)}
_PUBLIC, _SPECIAL = 125, 10
# Of each owner's temporary customers, this many were claimed from the public pool (the
# others were entered as temporary). sales2 holds 9 of 10 either way.
_CLAIMED = {"sales1": 2, "sales3": 1}
# Each owner's first private customers carry the pipeline; they were entered earlier, so
# their orders have a history (a paid instalment, a delivery, a refund) before today.
_WITH_PIPELINE, _WITH_ORDERS = 4, 2
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


@dataclass(frozen=True, slots=True)
class _Entered:
    id: int
    name: str
    city: str | None
    owner: str | None
    pool: Pool
    entered: datetime
    pipeline: bool


async def _customers(demo: _Demo) -> list[_Entered]:
    """200 customers over every pool and salesperson, with contacts and follow-ups.

    Each is entered by its owner (its maturity places it), or by ``admin`` into the public
    pool, whence some are claimed and some transferred to the special pool. Deterministic
    (fixed random seed) so that every demo looks the same.
    """
    rng = random.Random(20260301)
    async with demo.services.database.reader() as session:
        grades = {o.label: o.id for o in await session.scalars(select(MaturityOption))}
        options = list(await session.scalars(select(OptionItem).order_by(OptionItem.id)))
    by_list = {kind: [o.id for o in options if o.list is kind] for kind in OptionList}
    plan: list[tuple[str | None, Pool, str]] = []
    for login_name, (private, temporary) in _HOLDINGS.items():
        claimed = _CLAIMED.get(login_name, 0)
        plan += [(login_name, Pool.PRIVATE, "ABC")] * private
        plan += [(login_name, Pool.TEMPORARY, "DEF")] * (temporary - claimed)
        plan += [(login_name, Pool.TEMPORARY, "GHI")] * claimed
    plan += [(None, Pool.PUBLIC, "GHIJ")] * _PUBLIC + [(None, Pool.SPECIAL, "J")] * _SPECIAL

    created: list[_Entered] = []
    privates: dict[str | None, int] = {}
    for index, (owner, pool, grade) in enumerate(plan):
        pipeline = pool is Pool.PRIVATE and privates.get(owner, 0) < _WITH_PIPELINE
        privates[owner] = privates.get(owner, 0) + (pool is Pool.PRIVATE)
        back = timedelta(days=rng.randint(0, 6), hours=rng.randint(0, 23))
        entered = demo.now - back - (timedelta(days=20) if pipeline else timedelta(0))
        name = f"{rng.choice(_COMPANY_WORDS)} {rng.choice(_COMPANY_KINDS)} {index + 1:03d}"
        contacts = []
        individual = index % 9 == 0
        acquired_on = (entered - timedelta(days=rng.randint(0, 300))).date()
        category_id = rng.choice(by_list[OptionList.CATEGORY])
        source_id = rng.choice(by_list[OptionList.SOURCE])
        status_id = rng.choice(by_list[OptionList.STATUS])
        industry_id = rng.choice(by_list[OptionList.INDUSTRY])
        fields = CustomerFields(
            kind=CustomerKind.INDIVIDUAL if individual else CustomerKind.ENTERPRISE,
            name=name,
            # A person has no short name or industry (the individual form's field set).
            short_name=None if individual else name.split()[0],
            acquired_on=acquired_on,
            category_id=category_id,
            source_id=source_id,
            status_id=status_id,
            industry_id=None if individual else industry_id,
            maturity_id=grades[rng.choice(grade)],
            city=rng.choice(_CITIES),
        )
        for number in range(rng.randint(1, 3)):
            person = f"{rng.choice(_PEOPLE)} {rng.choice(_GIVEN)}"
            contacts.append(
                ContactFields(
                    name=person,
                    mobile=f"13{rng.randint(100000000, 999999999)}",
                    email=f"{person.lower().replace(' ', '.')}{index}@example.com",
                    title=rng.choice(("Manager", "Buyer", "Director", "Engineer")),
                    is_primary=number == 0,
                )
            )
        fields = replace(fields, contacts=tuple(contacts))
        claimed = owner is not None and pool is Pool.TEMPORARY and grade == "GHI"
        entered_by = owner if owner is not None and not claimed else "admin"
        # A claimed customer sat in the public pool for a day before its owner took it.
        first_at = entered - timedelta(days=1) if claimed else entered
        async with demo.uow(entered_by, first_at) as uow:
            settings = await get_settings(uow.session)
            customer_id = (await create_customer(uow, settings, fields)).id
            if pool is Pool.SPECIAL:
                await transfer(uow, settings, [customer_id], TransferTarget(pool=Pool.SPECIAL))
        if claimed:
            assert owner is not None
            async with demo.uow(owner, entered) as uow:
                await claim(uow, await get_settings(uow.session), customer_id)
        created.append(_Entered(customer_id, name, fields.city, owner, pool, entered, pipeline))
        if owner is not None:
            for _ in range(rng.randint(0, 4)):
                async with demo.uow(owner, entered + (demo.now - entered) * rng.random()) as uow:
                    content = rng.choice(_FOLLOW_UPS)
                    method = rng.choice(by_list[OptionList.FOLLOW_UP_METHOD])
                    form = _form(FollowUpInput, content=content, method_id=method)
                    await create_follow_up(uow, customer_id, form)
    return created


_FOLLOW_UPS = (
    "Introduced our catalogue.",
    "Discussed prices.",
    "Sent samples.",
    "Asked for a quotation.",
    "Visited their office.",
)
# code -> (name, price, cost, unit)
_PRODUCTS = {
    "CRM-STD": ("CRM seat, standard", "1200.00", "300.00", "seat/year", "Software"),
    "CRM-PRO": ("CRM seat, professional", "2400.00", "550.00", "seat/year", "Software"),
    "IMPL": ("Implementation service", "800.00", "500.00", "day", "Service"),
    "TRAIN": ("On-site training", "650.00", "300.00", "day", "Service"),
    "SCAN": ("Card scanner", "199.90", "120.00", "piece", "Hardware"),
}


async def _pipeline(demo: _Demo, customers: list[_Entered]) -> set[int]:
    """Products, opportunities over every stage (with history), orders with lines, payment
    plans, payments, a refund, invoices, deliveries, and expenses waiting for approval;
    the ids of the customers with an order."""
    rng = random.Random(20260302)
    async with demo.services.database.reader() as session:
        categories = {
            label: id_
            for id_, label in await session.execute(
                select(OptionItem.id, OptionItem.label).where(
                    OptionItem.list == OptionList.PRODUCT_CATEGORY
                )
            )
        }
        stages = list(
            await session.scalars(select(OpportunityStage).order_by(OpportunityStage.sort_order))
        )
    products: list[tuple[int, Decimal]] = []
    async with demo.uow("admin", demo.now - timedelta(days=30)) as uow:
        for code, (name, price, cost, unit, category) in _PRODUCTS.items():
            product = await create_product(
                uow,
                dict(
                    name=name, code=code, price=Decimal(price), cost=Decimal(cost), unit=unit,
                    category_id=categories[category],
                ),
            )  # fmt: skip
            products.append((product.id, product.price))
    with_orders: set[int] = set()
    for login_name in ("sales1", "sales2", "sales3", "manager1"):
        mine = [c for c in customers if c.owner == login_name and c.pipeline]
        for index, customer in enumerate(mine):
            stage = stages[(index * 2 + len(login_name)) % len(stages)]
            amount = Decimal(rng.randint(20, 400) * 100)
            probability = {StageOutcome.WON: 100, StageOutcome.LOST: 0}.get(
                stage.outcome, rng.choice((10, 20, 40, 60, 80))
            )
            fields = dict(
                title=f"{customer.name.split()[0]} CRM roll-out",
                stage_id=stages[0].id,
                amount=amount,
                probability=10,
                expected_sign_date=demo.today + timedelta(days=rng.randint(5, 80)),
            )
            async with demo.uow(login_name, customer.entered + timedelta(hours=2)) as uow:
                opportunity = await create_opportunity(uow, customer.id, fields)
            if stage.id != stages[0].id:
                moved = {**fields, "stage_id": stage.id, "probability": probability}
                async with demo.uow(login_name, demo.now - timedelta(days=2)) as uow:
                    await update_opportunity(uow, opportunity.id, moved)
            if index < _WITH_ORDERS:
                await _order(
                    demo, rng, customer, login_name, products, opportunity.id, refund=index == 0
                )
                with_orders.add(customer.id)
            async with demo.uow(login_name, demo.now) as uow:
                await create_expense(
                    uow,
                    dict(
                        customer_id=customer.id,
                        category="Entertainment" if index % 2 else "Travel",
                        amount=Decimal(rng.randint(5000, 90000)) / 100,
                        occurred_on=demo.today - timedelta(days=index + 1),
                        description=f"Visit to {customer.name}",
                    ),
                )
    return with_orders


async def _order(
    demo: _Demo,
    rng: random.Random,
    customer: _Entered,
    login_name: str,
    products: list[tuple[int, Decimal]],
    opportunity_id: int,
    *,
    refund: bool,
) -> None:
    """An order made from the customer's opportunity, signed a day after the customer was
    entered, half paid (and invoiced) when
    its first instalment fell due, its first line delivered; with ``refund``, a seat
    returned three days ago."""
    signed_at = customer.entered + timedelta(days=1)
    signed = signed_at.date()
    lines = tuple(
        LineFields(
            product_id=product_id,
            quantity=Decimal(rng.randint(1, 10)),
            discount=Decimal(rng.choice(("0", "0.05", "0.1"))),
        )
        for product_id, _price in rng.sample(products, 2)
    )
    fields = dict(
        title=f"{customer.name.split()[0]} contract",
        opportunity_id=opportunity_id,
        lines=lines,
        signed_on=signed,
        starts_on=signed,
        expires_on=demo.today + timedelta(days=rng.randint(30, 365)),
    )
    async with demo.uow(login_name, signed_at) as uow:
        order = await create_order(uow, customer.id, fields)
        half = (order.amount / 2).quantize(Decimal("0.01"))
        first_due = signed + timedelta(days=10)
        plan = await add_payment_plan(uow, order.id, first_due, half)
        await add_payment_plan(uow, order.id, demo.today + timedelta(days=20), order.amount - half)
        first = await uow.session.scalar(
            select(OrderLine).where(OrderLine.order_id == order.id, OrderLine.position == 0)
        )
        assert first is not None
        await add_delivery_plan(uow, first.id, demo.today + timedelta(days=7), first.quantity, None)
    paid_at = signed_at + timedelta(days=11)
    async with demo.uow(login_name, paid_at) as uow:
        paid = {"amount": half, "paid_on": paid_at.date(), "plan_id": plan.id, "invoiced": True}
        await record_payment(uow, order.id, paid)
        await add_invoice(uow, order.id, f"INV-{order.id:05d}", half, paid_at.date())
    delivered_at = signed_at + timedelta(days=14)
    async with demo.uow(login_name, delivered_at) as uow:
        await record_delivery(uow, first.id, delivered_at.date(), first.quantity)
    if refund:
        async with demo.uow(login_name, demo.now - timedelta(days=3)) as uow:
            await record_refund(uow, order.id, Decimal("100.00"), "One seat returned", None)


def _form(input_type: type, **given: Any) -> dict[str, Any]:
    """What the API hands a service for this input: every field, defaults filled in."""
    return values_of(input_type(**given))


async def _customer_records(demo: _Demo, customers: list[_Entered], orders: set[int]) -> None:
    """A few to-dos, schedules, notes, calls, complaints and service records on three
    customers of each salesperson (those with orders first), so the customer view and the
    workbench show something."""
    rng = random.Random(20260302)  # its own sequence: the customers above stay as they were
    owned = sorted(
        (c for c in customers if c.owner is not None), key=lambda c: (c.id not in orders, c.id)
    )
    per_owner: dict[str, int] = {}
    for customer in owned:
        owner = customer.owner
        assert owner is not None
        if per_owner.get(owner, 0) >= 3:
            continue
        per_owner[owner] = per_owner.get(owner, 0) + 1
        now = demo.now
        soon = now + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 8))
        async with demo.uow(owner, now) as uow:
            for kind, form in (
                (
                    RecordKind.TASK,
                    _form(forms.TaskInput, content="Send the revised quotation", due_at=soon),
                ),
                (
                    RecordKind.TASK,
                    _form(
                        forms.TaskInput,
                        content="Confirm the contact's title",
                        due_at=now,
                        done=True,
                    ),
                ),
                (
                    RecordKind.SCHEDULE,
                    _form(
                        forms.ScheduleInput,
                        title=f"Visit {customer.name.split()[0]}",
                        starts_at=soon,
                        ends_at=soon + timedelta(hours=1),
                        remind_at=soon - timedelta(hours=1),
                        place=customer.city,
                    ),
                ),
                (
                    RecordKind.NOTE,
                    _form(forms.CustomerNoteInput, content="Prefers e-mail before calls."),
                ),
                (
                    RecordKind.CALL,
                    _form(
                        forms.CallRecordInput,
                        caller_number=f"0{rng.randint(100000000, 999999999)}",
                        called_at=now - timedelta(hours=rng.randint(1, 30)),
                        content="Asked about delivery times.",
                    ),
                ),
                (
                    RecordKind.COMPLAINT,
                    _form(
                        forms.ComplaintInput,
                        complaint_type="Delivery",
                        channel="phone",
                        complained_at=now - timedelta(days=rng.randint(1, 5)),
                        content="The last shipment arrived late.",
                        status=ComplaintStatus.IN_PROGRESS,
                    ),
                ),
                (
                    RecordKind.SERVICE,
                    _form(
                        forms.ServiceRecordInput,
                        service_type="Training",
                        served_at=now - timedelta(days=rng.randint(1, 20)),
                        content="Trained two new users.",
                    ),
                ),
            ):
                await records.create_record(uow, kind, customer.id, form)


_ARTICLES = {
    "销售 Sales": [
        (
            "报价流程 Quoting",
            "## 报价前\n\n先确认客户的付款条件和交货时间。合同模板在共享文件夹里。\n\n"
            "Before quoting, confirm the customer's payment terms and delivery dates.",
        ),
        ("拜访客户 Visiting customers", "带上最新的宣传册。Bring the latest brochure."),
    ],
    "产品 Products": [("产品价格表 Price list", "价格以系统中的产品资料为准。")],
}


async def _knowledge(demo: _Demo) -> None:
    """A few published knowledge-base articles by manager1, in Chinese and English."""
    async with demo.uow("manager1", demo.now) as uow:
        for category_name, articles in _ARTICLES.items():
            category = await knowledge.categories.create(
                uow, {"name": category_name, "parent_id": None, "position": 0}
            )
            for title, body in articles:
                await knowledge.articles.create(uow, {
                    "category_id": category.id, "title": title, "body": body,
                    "status": ArticleStatus.PUBLISHED,
                })  # fmt: skip
