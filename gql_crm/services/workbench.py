"""The workbench (F9.1): what needs the caller's attention today, in one read.

Every section is one statement, whatever the amount of data: the caller's own schedules,
to-dos, calls and complaints; receivables and delivery plans on orders they may see; sales
this month (the company's time zone decides the month); customers of theirs that fall back
to the public pool within three days; the latest announcements they received.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    func,
    literal_column,
    not_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.arrays import Among
from gql_crm.db.base import ZERO
from gql_crm.db.local_time import PeriodStart, pg_company_day, pg_days
from gql_crm.db.models import (
    Announcement,
    CallRecord,
    Complaint,
    ComplaintStatus,
    Customer,
    DeliveryPlan,
    DeliveryRecord,
    Order,
    OrderLine,
    PaymentPlan,
    Schedule,
    SystemSettings,
    Task,
)
from gql_crm.db.pagination import ordered
from gql_crm.services.customer_record import SCHEDULES_BY_START, TASKS_BY_DUE
from gql_crm.services.order import company_today
from gql_crm.services.pool import released_before

SCHEDULE_DAYS = 7
RECEIVABLE_DAYS = 30
DELIVERY_DAYS = 7
RELEASE_DAYS = 3

# The order of each list (ending in a unique key).
SCHEDULE_ORDER = ordered(SCHEDULES_BY_START)
TASK_ORDER = ordered(TASKS_BY_DUE)
CALL_ORDER: list[ColumnElement[Any]] = [CallRecord.called_at.asc(), CallRecord.id.asc()]
COMPLAINT_ORDER: list[ColumnElement[Any]] = [Complaint.complained_at.asc(), Complaint.id.asc()]
ANNOUNCEMENT_ORDER: list[ColumnElement[Any]] = [
    Announcement.published_at.desc(),
    Announcement.id.desc(),
]
RELEASING_ORDER: list[ColumnElement[Any]] = [Customer.id.asc()]
RECEIVABLE_ORDER: list[ColumnElement[Any]] = [PaymentPlan.due_on.asc(), PaymentPlan.id.asc()]
DELIVERY_ORDER: list[ColumnElement[Any]] = [DeliveryPlan.due_on.asc(), DeliveryPlan.id.asc()]


@dataclass(frozen=True, slots=True)
class Receivable:
    plan: PaymentPlan
    order: Order
    overdue: bool


@dataclass(frozen=True, slots=True)
class DeliveryReminder:
    plan: DeliveryPlan
    order: Order
    delivered: Decimal


@dataclass(frozen=True, slots=True)
class Workbench:
    today: date
    schedules: list[Schedule]
    tasks: list[Task]
    announcements: list[Announcement]
    receivables: list[Receivable]
    calls: list[CallRecord]
    complaints: list[Complaint]
    deliveries: list[DeliveryReminder]
    my_sales: Decimal
    company_sales: Decimal | None  # None: the company keeps it from the caller
    releasing: list[Customer]


@dataclass(frozen=True, slots=True)
class Terms:
    """The bounds the workbench's statements are built from. The resolver path gives values
    (``Terms.at``: the settings row read in Python); compiled reads give SQL (the request's
    time as a statement parameter, the settings row read in the statement), so both paths
    read the same statements."""

    now: Any
    today: Any  # the company's day
    month_start: Any
    schedules_until: Any  # appointments starting before this
    receivables_until: Any  # payment plans due by this day
    deliveries_until: Any  # delivery plans due by this day
    temporary_cutoff: Any  # temporary-pool clocks started by this fall back within 3 days
    private_cutoff: Any  # the same for the private pool
    company_sales_shown: Any  # the company lets staff see the company's sales
    limit: Any

    @classmethod
    def at(cls, settings: SystemSettings, now: datetime, limit: int) -> Terms:
        today = company_today(settings, now)
        released_by = now + timedelta(days=RELEASE_DAYS)
        return cls(
            now=now,
            today=today,
            month_start=today.replace(day=1),
            schedules_until=now + timedelta(days=SCHEDULE_DAYS),
            receivables_until=today + timedelta(days=RECEIVABLE_DAYS),
            deliveries_until=today + timedelta(days=DELIVERY_DAYS),
            temporary_cutoff=released_by - timedelta(days=settings.temporary_release_days),
            private_cutoff=released_by - timedelta(days=settings.private_no_contact_days),
            company_sales_shown=settings.staff_see_company_sales,
            limit=limit,
        )

    @classmethod
    def in_sql(cls, now: ColumnElement[Any], limit: ColumnElement[Any]) -> Terms:
        """The same bounds as PostgreSQL computes them from ``now`` (a timestamptz) and the
        settings row, for statements that are prepared once and run at any time."""

        def setting(column: Any) -> ColumnElement[Any]:
            return select(column).scalar_subquery()

        today = pg_company_day(now, setting(SystemSettings.timezone))
        released_by = now.op("+")(pg_days(RELEASE_DAYS))
        return cls(
            now=now,
            today=today,
            month_start=PeriodStart("month", today),
            schedules_until=now.op("+")(pg_days(SCHEDULE_DAYS)),
            receivables_until=today.op("+")(literal_column(str(RECEIVABLE_DAYS))),
            deliveries_until=today.op("+")(literal_column(str(DELIVERY_DAYS))),
            temporary_cutoff=released_by.op("-")(
                pg_days(setting(SystemSettings.temporary_release_days))
            ),
            private_cutoff=released_by.op("-")(
                pg_days(setting(SystemSettings.private_no_contact_days))
            ),
            company_sales_shown=setting(SystemSettings.staff_see_company_sales),
            limit=limit,
        )


# ---- the parts: one statement each, in the order the workbench lists them -----------------


def _assigned(
    principal: Principal, model: Any, order: list[ColumnElement[Any]], terms: Terms, *pending: Any
) -> Select[Any]:
    """The first ``limit`` of the caller's live ``model`` records still ``pending``."""
    stmt = select(model).where(visibility.own_record(principal, model), *pending)
    return stmt.order_by(*order).limit(terms.limit)


def schedules(principal: Principal, terms: Terms) -> Select[Any]:
    return _assigned(
        principal, Schedule, SCHEDULE_ORDER, terms,
        Schedule.ends_at >= terms.now, Schedule.starts_at < terms.schedules_until,
    )  # fmt: skip


def tasks(principal: Principal, terms: Terms) -> Select[Any]:
    return _assigned(principal, Task, TASK_ORDER, terms, Task.done.is_(False))


def calls(principal: Principal, terms: Terms) -> Select[Any]:
    return _assigned(
        principal, CallRecord, CALL_ORDER, terms,
        CallRecord.processed.is_(False),
    )  # fmt: skip


def complaints(principal: Principal, terms: Terms) -> Select[Any]:
    return _assigned(
        principal, Complaint, COMPLAINT_ORDER, terms,
        Complaint.status != ComplaintStatus.RESOLVED,
    )  # fmt: skip


def announcements(principal: Principal, terms: Terms) -> Select[Any]:
    return (
        select(Announcement)
        .where(visibility.announcement(principal))
        .order_by(*ANNOUNCEMENT_ORDER)
        .limit(terms.limit)
    )


def releasing(principal: Principal, terms: Terms) -> Select[Any]:
    """The caller's customers that fall back to the public pool within three days."""
    return (
        select(Customer)
        .where(
            Customer.owner_id == principal.user_id,
            released_before(terms.temporary_cutoff, terms.private_cutoff),
        )
        .order_by(*RELEASING_ORDER)
        .limit(terms.limit)
    )


def receivables(principal: Principal, terms: Terms) -> Select[PaymentPlan, Order]:
    """Plans due within 30 days (or overdue) that the order's payments do not yet meet
    (``PaymentPlan.met``, kept by the payment service), with their orders."""
    candidates = visibility.order_candidates(
        principal,
        Order.unmet_due_on <= terms.receivables_until,
        Order.deleted_at.is_(None),
        also=[Order.unmet_due_on],
    )
    first = (
        _first_visible_plans(principal, terms)
        if candidates is None
        else _plans_of_first_orders(candidates, principal, terms)
    )
    return (
        select(PaymentPlan, Order)
        .join(Order, Order.id == PaymentPlan.order_id)
        .where(PaymentPlan.id.in_(first))
        .order_by(*RECEIVABLE_ORDER)
        .limit(terms.limit)
    )


def _open_by_then(terms: Terms) -> tuple[ColumnElement[bool], ...]:
    return not_(PaymentPlan.met), PaymentPlan.due_on <= terms.receivables_until


def _first_visible_plans(principal: Principal, terms: Terms) -> Select[Any]:
    """The open plans due by then, in their order, from the unmet plans' index; the order
    rule is then tested on them one by one until ``limit`` pass (joined first instead, the
    rule would be tested on every open plan of the company for a caller who sees all orders)."""
    due = (
        select(PaymentPlan.id, PaymentPlan.order_id, PaymentPlan.due_on)
        .where(*_open_by_then(terms))
        .order_by(*RECEIVABLE_ORDER)
        .offset(0)  # keeps PostgreSQL from merging it into the join below
        .subquery("due")
    )
    return (
        select(due.c.id)
        .join(Order, Order.id == due.c.order_id)
        .where(visibility.order(principal))
        .order_by(due.c.due_on, due.c.id)
        .limit(terms.limit)
    )


def _plans_of_first_orders(
    candidates: CompoundSelect[Any], principal: Principal, terms: Terms
) -> Select[Any]:
    """The open plans of the first ``limit`` orders the caller may see among ``candidates``
    by the day their first open plan falls due (``Order.unmet_due_on``), ties included.
    Those hold the first ``limit`` plans: an order after them has the first open plans of
    ``limit`` orders due before any plan of its own.

    The candidate orders with a plan due by then still open (``visibility.order_candidates``)
    are found by the orders' indexes and sorted by that day; the order rule is tested on them
    one by one until ``limit`` pass (PostgreSQL stops the ranking there), and the open plans'
    index is probed for those orders only, not for every order the caller has signed."""
    by_day = (
        candidates.order_by(candidates.selected_columns.unmet_due_on)
        .offset(0)  # sorted before the rule is tested, which keeps that order
        .subquery("by_day")
    )
    ranked = (
        select(Order.id, func.rank().over(order_by=by_day.c.unmet_due_on).label("rank"))
        .join_from(by_day, Order, Order.id == by_day.c.id)
        .where(visibility.order(principal))
        .subquery("ranked")
    )
    first_orders = select(ranked.c.id).where(ranked.c.rank <= terms.limit)
    return (
        select(PaymentPlan.id)
        .where(*_open_by_then(terms), Among(PaymentPlan.order_id.expression, first_orders))
        .order_by(*RECEIVABLE_ORDER)
        .limit(terms.limit)
    )


def delivered_quantity() -> ColumnElement[Any]:
    """How much of a delivery plan has been delivered (correlated to the plan)."""
    return (
        select(func.coalesce(func.sum(DeliveryRecord.quantity), ZERO))
        .where(DeliveryRecord.plan_id == DeliveryPlan.id)
        .correlate(DeliveryPlan)
        .scalar_subquery()
    )


def deliveries(principal: Principal, terms: Terms) -> Select[DeliveryPlan, Order, Decimal]:
    """Delivery plans due within 7 days (or overdue) not yet delivered in full, with their
    orders and what was delivered."""
    delivered = delivered_quantity()
    return (
        select(DeliveryPlan, Order, delivered.label("delivered"))
        .join(OrderLine, OrderLine.id == DeliveryPlan.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            DeliveryPlan.due_on <= terms.deliveries_until,
            delivered < DeliveryPlan.quantity,
            visibility.order(principal, narrowed=True),
        )
        .order_by(*DELIVERY_ORDER)
        .limit(terms.limit)
    )


def sales(principal: Principal, terms: Terms) -> Select[Decimal, Decimal]:
    """Order amounts signed this month: the caller's own (as they see them), and the whole
    company's, whatever the caller's scope."""
    mine = and_(Order.owner_id == principal.user_id, visibility.order(principal))
    return select(
        func.coalesce(func.sum(Order.amount).filter(mine), ZERO).label("mine"),
        func.coalesce(func.sum(Order.amount), ZERO).label("company"),
    ).where(
        Order.deleted_at.is_(None),
        visibility.counts_customer(Order.customer_id),
        Order.signed_on >= terms.month_start,
        Order.signed_on <= terms.today,
    )


def sees_company_sales(principal: Principal, terms: Terms) -> Any:
    """Whether the caller is shown the company's sales: always when they see everyone."""
    return True if principal.visible_owner_ids is None else terms.company_sales_shown


async def _rows(session: AsyncSession, stmt: Select[Any]) -> list[Any]:
    return list((await session.scalars(stmt)).all())


async def workbench(
    session: AsyncSession,
    principal: Principal,
    settings: SystemSettings,
    now: datetime,
    limit: int,
) -> Workbench:
    terms = Terms.at(settings, now, limit)
    due = await session.execute(receivables(principal, terms))
    delivery = await session.execute(deliveries(principal, terms))
    mine, company = (await session.execute(sales(principal, terms))).one()
    return Workbench(
        today=terms.today,
        schedules=await _rows(session, schedules(principal, terms)),
        tasks=await _rows(session, tasks(principal, terms)),
        announcements=await _rows(session, announcements(principal, terms)),
        receivables=[Receivable(plan, order, plan.due_on < terms.today) for plan, order in due],
        calls=await _rows(session, calls(principal, terms)),
        complaints=await _rows(session, complaints(principal, terms)),
        deliveries=[DeliveryReminder(plan, order, Decimal(done)) for plan, order, done in delivery],
        my_sales=Decimal(mine),
        company_sales=Decimal(company) if sees_company_sales(principal, terms) else None,
        releasing=await _rows(session, releasing(principal, terms)),
    )
