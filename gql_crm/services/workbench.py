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

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.base import ZERO
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
    PaymentRecord,
    Schedule,
    SystemSettings,
    Task,
)
from gql_crm.services.order import company_today, sum_for_order
from gql_crm.services.pool import due_for_release

SCHEDULE_DAYS = 7
RECEIVABLE_DAYS = 30
DELIVERY_DAYS = 7
RELEASE_DAYS = 3


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


def month_start(today: date) -> date:
    return today.replace(day=1)


async def _rows(session: AsyncSession, stmt: Any) -> list[Any]:
    return list((await session.scalars(stmt)).all())


async def _assigned(
    session: AsyncSession,
    principal: Principal,
    model: Any,
    order: tuple[Any, ...],
    limit: int,
    *pending: Any,
) -> list[Any]:
    """The first ``limit`` of the caller's live ``model`` records still ``pending``."""
    stmt = (
        select(model)
        .where(visibility.own_record(principal, model), *pending)
        .order_by(*order)
        .limit(limit)
    )
    return await _rows(session, stmt)


async def _receivables(
    session: AsyncSession, principal: Principal, today: date, limit: int
) -> list[Receivable]:
    """Plans due within 30 days (or overdue) that the order's payments do not yet meet.

    Payments meet plans in due order (``plans_met``), so a plan is unmet while the amounts of
    its order's plans up to it exceed what the order received; every plan before a plan due
    by the horizon is due by it too, so the running sum needs only those."""
    horizon = today + timedelta(days=RECEIVABLE_DAYS)
    covered = func.sum(PaymentPlan.amount).over(
        partition_by=PaymentPlan.order_id, order_by=(PaymentPlan.due_on, PaymentPlan.id)
    )
    due = (
        select(PaymentPlan.id.label("plan_id"), covered.label("covered"))
        .join(Order, Order.id == PaymentPlan.order_id)
        .where(PaymentPlan.due_on <= horizon, visibility.order(principal))
        .subquery()
    )
    stmt = (
        select(PaymentPlan, Order)
        .join(due, due.c.plan_id == PaymentPlan.id)
        .join(Order, Order.id == PaymentPlan.order_id)
        .where(due.c.covered > sum_for_order(PaymentRecord))
        .order_by(PaymentPlan.due_on, PaymentPlan.id)
        .limit(limit)
    )
    return [
        Receivable(plan, order, plan.due_on < today)
        for plan, order in (await session.execute(stmt)).all()
    ]


async def _deliveries(
    session: AsyncSession, principal: Principal, today: date, limit: int
) -> list[DeliveryReminder]:
    """Delivery plans due within 7 days (or overdue) not yet delivered in full."""
    delivered = (
        select(func.coalesce(func.sum(DeliveryRecord.quantity), ZERO))
        .where(DeliveryRecord.plan_id == DeliveryPlan.id)
        .correlate(DeliveryPlan)
        .scalar_subquery()
    )
    stmt = (
        select(DeliveryPlan, Order, delivered.label("delivered"))
        .join(OrderLine, OrderLine.id == DeliveryPlan.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            DeliveryPlan.due_on <= today + timedelta(days=DELIVERY_DAYS),
            delivered < DeliveryPlan.quantity,
            visibility.order(principal),
        )
        .order_by(DeliveryPlan.due_on, DeliveryPlan.id)
        .limit(limit)
    )
    return [
        DeliveryReminder(plan, order, Decimal(done))
        for plan, order, done in (await session.execute(stmt)).all()
    ]


async def _sales(
    session: AsyncSession, principal: Principal, today: date
) -> tuple[Decimal, Decimal]:
    """Order amounts signed this month: the caller's own (as they see them), and the whole
    company's, whatever the caller's scope."""
    mine = and_(Order.owner_id == principal.user_id, visibility.order(principal))
    live_customer = exists().where(Customer.id == Order.customer_id, Customer.deleted_at.is_(None))
    stmt = select(
        func.coalesce(func.sum(Order.amount).filter(mine), ZERO),
        func.coalesce(func.sum(Order.amount), ZERO),
    ).where(
        Order.deleted_at.is_(None),
        live_customer,
        Order.signed_on >= month_start(today),
        Order.signed_on <= today,
    )
    mine_total, company = (await session.execute(stmt)).one()
    return Decimal(mine_total), Decimal(company)


async def workbench(
    session: AsyncSession,
    principal: Principal,
    settings: SystemSettings,
    now: datetime,
    limit: int,
) -> Workbench:
    me = principal.user_id
    today = company_today(settings, now)
    schedules = await _assigned(
        session, principal, Schedule, (Schedule.starts_at, Schedule.id), limit,
        Schedule.ends_at >= now, Schedule.starts_at < now + timedelta(days=SCHEDULE_DAYS),
    )  # fmt: skip
    tasks = await _assigned(
        session, principal, Task, (Task.due_at, Task.id), limit, Task.done.is_(False)
    )
    calls = await _assigned(
        session, principal, CallRecord, (CallRecord.called_at, CallRecord.id), limit,
        CallRecord.processed.is_(False),
    )  # fmt: skip
    complaints = await _assigned(
        session, principal, Complaint, (Complaint.complained_at, Complaint.id), limit,
        Complaint.status != ComplaintStatus.RESOLVED,
    )  # fmt: skip
    announcements = await _rows(
        session,
        select(Announcement)
        .where(visibility.announcement(principal))
        .order_by(Announcement.published_at.desc(), Announcement.id.desc())
        .limit(limit),
    )
    releasing = await _rows(
        session,
        select(Customer)
        .where(
            Customer.owner_id == me,
            due_for_release(settings, now + timedelta(days=RELEASE_DAYS)),
        )
        .order_by(Customer.id)
        .limit(limit),
    )
    my_sales, company_sales = await _sales(session, principal, today)
    return Workbench(
        today=today,
        schedules=schedules,
        tasks=tasks,
        announcements=announcements,
        receivables=await _receivables(session, principal, today, limit),
        calls=calls,
        complaints=complaints,
        deliveries=await _deliveries(session, principal, today, limit),
        my_sales=my_sales,
        company_sales=(
            company_sales
            if settings.staff_see_company_sales or principal.visible_owner_ids is None
            else None
        ),
        releasing=releasing,
    )
