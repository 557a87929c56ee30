"""The marketing daily report (F9.2): each active user's CRM activity on one company day.

Every figure is one aggregate statement grouped by user over the day's records (nothing runs
per user), and a day is replaced as a whole: delete and insert in one transaction. What
counts as the day's activity is what was recorded in the CRM during that day (``created_at``;
``changed_at`` for stage moves), so a record entered late still lands in exactly one report.
Tasks completed count the day's to-dos marked done by their assignee.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.orm import InstrumentedAttribute

from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.auth.principal import Principal
from gql_crm.db.models import (
    Customer,
    DailyReport,
    Expense,
    ExpenseKind,
    ExpenseStatus,
    FollowUp,
    NotificationCategory,
    OperationLog,
    Opportunity,
    OpportunityChange,
    Order,
    PaymentRecord,
    Task,
    User,
)
from gql_crm.db.pagination import SortKey
from gql_crm.db.scopes import scope_filter
from gql_crm.services.notification import NotificationDraft, notify
from gql_crm.services.setting import get_settings
from gql_crm.services.unit_of_work import Services, UnitOfWork

STATISTICS_VIEW = basic(Module.STATISTICS, Action.VIEW)
NO_METHOD = "none"
NEWEST_FIRST = (
    SortKey(DailyReport.day, descending=True),
    SortKey(DailyReport.user_id),
    SortKey(DailyReport.id),
)
logger = logging.getLogger("gql_crm.workers.report")


@dataclass(slots=True)
class Figures:
    """One user's numbers for one day, as stored in ``daily_reports``."""

    customers_added: int = 0
    customers_claimed: int = 0
    customers_released: int = 0
    customers_transferred: int = 0
    follow_ups: int = 0
    follow_ups_by_method: dict[str, int] = field(default_factory=dict)
    tasks_completed: int = 0
    opportunities_created: int = 0
    opportunity_stage_moves: int = 0
    orders: int = 0
    order_amount: Decimal = Decimal("0.00")
    payments: int = 0
    payment_amount: Decimal = Decimal("0.00")
    expenses: int = 0
    expense_amount: Decimal = Decimal("0.00")


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC instants where the company day starts and the next one starts."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(), zone)
    end = datetime.combine(day + timedelta(days=1), time(), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def company_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def _within(
    column: InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None],
    start: datetime,
    end: datetime,
) -> Any:
    return (column >= start) & (column < end)


async def compute(uow: UnitOfWork, start: datetime, end: datetime) -> dict[int, Figures]:
    """Every user's figures for [start, end): one grouped statement per kind of record."""
    session = uow.session
    figures: dict[int, Figures] = {}

    def of(user_id: int) -> Figures:
        return figures.setdefault(user_id, Figures())

    async def per_user(stmt: Any) -> list[Any]:
        return list((await session.execute(stmt)).all())

    for user_id, n in await per_user(
        select(Customer.created_by_id, func.count())
        .where(_within(Customer.created_at, start, end), Customer.created_by_id.is_not(None))
        .group_by(Customer.created_by_id)
    ):
        of(user_id).customers_added = n

    for user_id, action, n in await per_user(
        select(OperationLog.actor_id, OperationLog.action, func.count())
        .where(
            _within(OperationLog.created_at, start, end),
            OperationLog.entity_type == "customer",
            OperationLog.action.in_(("claim", "transfer")),
            OperationLog.actor_id.is_not(None),
        )
        .group_by(OperationLog.actor_id, OperationLog.action)
    ):
        if action == "claim":
            of(user_id).customers_claimed = n
        else:
            of(user_id).customers_transferred = n

    # Releases have no actor (the job): they count for the owner who lost the customer.
    former_owner = OperationLog.changes[("ownerId", 0)].as_integer()
    for user_id, n in await per_user(
        select(former_owner, func.count())
        .where(
            _within(OperationLog.created_at, start, end),
            OperationLog.entity_type == "customer",
            OperationLog.action == "release",
        )
        .group_by(former_owner)
    ):
        if user_id is not None:
            of(user_id).customers_released = n

    for user_id, method_id, n in await per_user(
        select(FollowUp.author_id, FollowUp.method_id, func.count())
        .where(
            _within(FollowUp.created_at, start, end),
            FollowUp.author_id.is_not(None),
            FollowUp.deleted_at.is_(None),
        )
        .group_by(FollowUp.author_id, FollowUp.method_id)
    ):
        mine = of(user_id)
        mine.follow_ups += n
        mine.follow_ups_by_method[NO_METHOD if method_id is None else str(method_id)] = n

    for user_id, n in await per_user(
        select(Task.owner_id, func.count())
        .where(
            _within(Task.done_at, start, end),
            Task.done.is_(True),
            Task.deleted_at.is_(None),
            Task.owner_id.is_not(None),
        )
        .group_by(Task.owner_id)
    ):
        of(user_id).tasks_completed = n

    for user_id, n in await per_user(
        select(Opportunity.created_by_id, func.count())
        .where(_within(Opportunity.created_at, start, end), Opportunity.created_by_id.is_not(None))
        .group_by(Opportunity.created_by_id)
    ):
        of(user_id).opportunities_created = n

    for user_id, n in await per_user(
        select(OpportunityChange.changed_by_id, func.count())
        .where(
            _within(OpportunityChange.changed_at, start, end),
            OpportunityChange.changed_by_id.is_not(None),
            OpportunityChange.from_stage_id.is_not(None),
            OpportunityChange.from_stage_id != OpportunityChange.to_stage_id,
        )
        .group_by(OpportunityChange.changed_by_id)
    ):
        of(user_id).opportunity_stage_moves = n

    for user_id, n, amount in await per_user(
        select(Order.created_by_id, func.count(), func.sum(Order.amount))
        .where(
            _within(Order.created_at, start, end),
            Order.created_by_id.is_not(None),
            Order.deleted_at.is_(None),
        )
        .group_by(Order.created_by_id)
    ):
        of(user_id).orders, of(user_id).order_amount = n, amount

    for user_id, n, amount in await per_user(
        select(PaymentRecord.created_by_id, func.count(), func.sum(PaymentRecord.amount))
        .where(
            _within(PaymentRecord.created_at, start, end),
            PaymentRecord.created_by_id.is_not(None),
        )
        .group_by(PaymentRecord.created_by_id)
    ):
        of(user_id).payments, of(user_id).payment_amount = n, amount

    for user_id, n, amount in await per_user(
        select(Expense.owner_id, func.count(), func.sum(Expense.amount))
        .where(
            _within(Expense.created_at, start, end),
            Expense.kind == ExpenseKind.EXPENSE,
            Expense.status != ExpenseStatus.REJECTED,
            Expense.deleted_at.is_(None),
        )
        .group_by(Expense.owner_id)
    ):
        of(user_id).expenses, of(user_id).expense_amount = n, amount
    return figures


async def write_day(uow: UnitOfWork, day: date) -> list[int]:
    """Replace the day's reports by fresh ones for every active user; their user ids."""
    settings = await get_settings(uow.session)
    start, end = day_bounds(day, settings.timezone)
    figures = await compute(uow, start, end)
    users = list(
        await uow.session.scalars(
            select(User.id)
            .where(User.is_active.is_(True), User.deleted_at.is_(None))
            .order_by(User.id)
        )
    )
    await uow.session.execute(delete(DailyReport).where(DailyReport.day == day))
    rows = []
    for user_id in users:
        f = figures.get(user_id, Figures())
        rows.append(
            {
                "user_id": user_id,
                "day": day,
                "generated_at": uow.now,
                **{name: getattr(f, name) for name in Figures.__slots__},
            }
        )
    if rows:
        await uow.session.execute(insert(DailyReport), rows)
    return users


async def generate(services: Services, day: date, *, notify_users: bool = False) -> int:
    """(Re)generate one company day's reports; tell the users when asked. Returns how many."""
    async with UnitOfWork(services, None) as uow:
        users = await write_day(uow, day)
        if notify_users:
            await notify(
                uow,
                users,
                NotificationDraft(
                    category=NotificationCategory.PERSONAL,
                    kind="daily_report.ready",
                    title=f"Your daily report for {day.isoformat()} is ready",
                    link_type="daily_report",
                ),
            )
    logger.info("daily report: %s written for %d users", day.isoformat(), len(users))
    return len(users)


async def nightly(services: Services) -> int | None:
    """Write yesterday's reports (company time) unless they exist; None when they did.

    Runs every hour, so the first run after the company's midnight writes the day, and a
    worker that was down at midnight catches up when it comes back.
    """
    async with services.database.reader() as session:
        settings = await get_settings(session)
        yesterday = company_today(services.clock.now(), settings.timezone) - timedelta(days=1)
        done = await session.scalar(
            select(DailyReport.id).where(DailyReport.day == yesterday).limit(1)
        )
    if done is not None:
        return None
    return await generate(services, yesterday, notify_users=True)


def reports_query(
    principal: Principal, from_: date, to: date, user_id: int | None = None, *, mine: bool
) -> Select[DailyReport]:
    """Reports in [from_, to]: the caller's own, or (statistics:view) those in scope."""
    stmt = select(DailyReport).where(DailyReport.day >= from_, DailyReport.day <= to)
    if mine:
        return stmt.where(DailyReport.user_id == principal.user_id)
    principal.require(STATISTICS_VIEW)
    stmt = stmt.where(scope_filter(principal, DailyReport.user_id))
    if user_id is not None:
        stmt = stmt.where(DailyReport.user_id == user_id)
    return stmt


my_reports_query = partial(reports_query, mine=True)
scope_reports_query = partial(reports_query, mine=False)
