"""Sales opportunities (F2.9): stages, automatic stage history, details, funnel and forecast."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.permissions import Module, record_codes
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.models import (
    Department,
    DetailKind,
    Opportunity,
    OpportunityChange,
    OpportunityDetail,
    OpportunityStage,
    OptionList,
    Order,
    StageOutcome,
    SystemSettings,
    User,
)
from gql_crm.db.pagination import SortKey
from gql_crm.db.scopes import department_subtree
from gql_crm.services import statistics_rollup
from gql_crm.services.customer import customer_for_sales
from gql_crm.services.errors import Conflict, InvalidInput, NotFound, Problems
from gql_crm.services.money import cents, money_problem
from gql_crm.services.option import option_problem
from gql_crm.services.order import company_today
from gql_crm.services.unit_of_work import UnitOfWork, diff
from gql_crm.services.user import assignee_problem
from gql_crm.services.validation import text_problem

OPPORTUNITY_VIEW, OPPORTUNITY_CREATE, OPPORTUNITY_EDIT, OPPORTUNITY_DELETE = record_codes(
    Module.OPPORTUNITY
)
ENTITY = "opportunity"
# The fields whose change is a step in the stage history.
TRACKED = ("stage_id", "amount", "probability", "expected_sign_date")
RECENTLY_CHANGED = (SortKey(Opportunity.updated_at, True), SortKey(Opportunity.id, True))


# ---- stages --------------------------------------------------------------------------------


async def stages(session: AsyncSession) -> list[OpportunityStage]:
    stmt = select(OpportunityStage).order_by(OpportunityStage.sort_order, OpportunityStage.id)
    return list((await session.scalars(stmt)).all())


def _stage_name(name: str) -> str:
    if p := text_problem(name, max_length=50):
        raise InvalidInput.single("name", p)
    return name.strip()


async def _unique_stage_name(uow: UnitOfWork, name: str, stage_id: int | None) -> None:
    stmt = select(OpportunityStage.id).where(OpportunityStage.name == name)
    if stage_id is not None:
        stmt = stmt.where(OpportunityStage.id != stage_id)
    if await uow.session.scalar(stmt) is not None:
        raise Conflict(f"There already is a stage '{name}'.", "name")


async def create_stage(
    uow: UnitOfWork, name: str, outcome: StageOutcome, sort_order: int | None
) -> OpportunityStage:
    clean = _stage_name(name)
    await _unique_stage_name(uow, clean, None)
    if sort_order is None:
        last = await uow.session.scalar(select(func.max(OpportunityStage.sort_order)))
        sort_order = (last or 0) + 1
    stage = OpportunityStage(name=clean, outcome=outcome, sort_order=sort_order)
    uow.session.add(stage)
    await uow.session.flush()
    uow.log("opportunity_stage", stage.id, "create", {"name": [None, clean]})
    return stage


async def update_stage(uow: UnitOfWork, id: int, name: str, sort_order: int) -> OpportunityStage:
    stage = await uow.session.get(OpportunityStage, id)
    if stage is None:
        raise NotFound("Stage", id)
    clean = _stage_name(name)
    await _unique_stage_name(uow, clean, id)
    changes = diff(
        {"name": stage.name, "sort_order": stage.sort_order},
        {"name": clean, "sort_order": sort_order},
    )
    stage.name, stage.sort_order = clean, sort_order
    if changes:
        uow.log("opportunity_stage", stage.id, "update", changes)
    return stage


async def delete_stage(uow: UnitOfWork, id: int) -> int:
    """Delete a stage no opportunity is or ever was in (the history keeps referring to it)."""
    stage_id = id
    stage = await uow.session.get(OpportunityStage, stage_id)
    if stage is None:
        raise NotFound("Stage", stage_id)
    used = exists().where(
        or_(OpportunityChange.to_stage_id == stage_id, OpportunityChange.from_stage_id == stage_id)
    )
    if await uow.session.scalar(select(exists().where(Opportunity.stage_id == stage_id))) or (
        await uow.session.scalar(select(used))
    ):
        raise Conflict(f"Stage '{stage.name}' is used by opportunities; rename it instead.", "id")
    await uow.session.delete(stage)
    uow.log("opportunity_stage", stage_id, "delete", {"name": [stage.name, None]})
    return stage_id


# ---- opportunities -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpportunityFields:
    title: str
    stage_id: int
    amount: Decimal
    probability: int
    expected_sign_date: date | None = None
    type_id: int | None = None
    source_id: int | None = None
    remarks: str | None = None
    owner_id: int | None = None  # defaults to the caller (create) or stays (update)


async def _check(uow: UnitOfWork, fields: OpportunityFields) -> None:
    problems = Problems()
    if p := text_problem(fields.title, max_length=200):
        problems.add("title", p)
    if fields.remarks is not None and (
        p := text_problem(fields.remarks, max_length=5000, required=False)
    ):
        problems.add("remarks", p)
    if p := money_problem(fields.amount):
        problems.add("amount", p)
    if not 0 <= fields.probability <= 100:
        problems.add(
            "probability", f"must be a whole percent from 0 to 100 (got {fields.probability})"
        )
    if await uow.session.get(OpportunityStage, fields.stage_id) is None:
        problems.add("stageId", f"stage {fields.stage_id} does not exist")
    if p := await option_problem(uow.session, OptionList.OPPORTUNITY_TYPE, fields.type_id):
        problems.add("typeId", p)
    if p := await option_problem(uow.session, OptionList.SOURCE, fields.source_id):
        problems.add("sourceId", p)
    if p := await assignee_problem(uow, fields.owner_id):
        problems.add("ownerId", p)
    problems.raise_if_any()


def _values(fields: OpportunityFields) -> dict[str, object]:
    return {
        "title": fields.title.strip(),
        "stage_id": fields.stage_id,
        "amount": cents(fields.amount),
        "probability": fields.probability,
        "expected_sign_date": fields.expected_sign_date,
        "type_id": fields.type_id,
        "source_id": fields.source_id,
        "remarks": (fields.remarks or "").strip() or None,
    }


def _history(
    uow: UnitOfWork, opportunity: Opportunity, before: dict[str, object] | None
) -> OpportunityChange | None:
    """The stage-history entry for a save, or None when no tracked field changed."""
    after = {name: getattr(opportunity, name) for name in TRACKED}
    if before is not None and all(before[name] == after[name] for name in TRACKED):
        return None
    old = before or {}
    change = OpportunityChange(
        opportunity_id=opportunity.id,
        changed_by_id=uow.principal.user_id,
        changed_at=uow.now,
        from_stage_id=old.get("stage_id"),
        to_stage_id=opportunity.stage_id,
        from_amount=old.get("amount"),
        to_amount=opportunity.amount,
        from_probability=old.get("probability"),
        to_probability=opportunity.probability,
        from_expected_sign_date=old.get("expected_sign_date"),
        to_expected_sign_date=opportunity.expected_sign_date,
    )
    uow.session.add(change)
    return change


async def create_opportunity(
    uow: UnitOfWork, customer_id: int, input: dict[str, Any]
) -> Opportunity:
    fields = OpportunityFields(**input)
    customer = await customer_for_sales(uow, customer_id)
    await _check(uow, fields)
    opportunity = Opportunity(
        customer_id=customer.id,
        **_values(fields),
        owner_id=fields.owner_id or uow.principal.user_id,
        created_by_id=uow.principal.user_id,
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(opportunity)
    await uow.session.flush()
    statistics_rollup.opportunities_changing(uow, [opportunity.id])
    _history(uow, opportunity, None)
    uow.log(ENTITY, opportunity.id, "create", {"customerId": [None, customer.id]})
    return opportunity


async def managed_opportunity(uow: UnitOfWork, opportunity_id: int) -> Opportunity:
    """A visible opportunity the caller may change: its owner is within their scope.

    Locked FOR NO KEY UPDATE: its id stays, so rows that refer to it (an order's, its
    intent facts) may still be written meanwhile; a write on its orders that had to wait
    for this lock could deadlock with a deal-type change waiting for those orders."""
    opportunity = await uow.session.scalar(
        select(Opportunity)
        .where(Opportunity.id == opportunity_id, visibility.opportunity(uow.principal))
        .with_for_update(of=Opportunity, key_share=True)
    )
    if opportunity is None:
        raise NotFound("Opportunity", opportunity_id)
    if not uow.principal.can_see_owner(opportunity.owner_id):
        raise Conflict("Only the owner of the opportunity or their managers may change it.", "id")
    return opportunity


async def update_opportunity(uow: UnitOfWork, id: int, input: dict[str, Any]) -> Opportunity:
    """Save an opportunity; a change of stage, amount, probability or expected sign date
    appends one entry to its stage history."""
    fields = OpportunityFields(**input)
    opportunity = await managed_opportunity(uow, id)
    await _check(uow, fields)
    values = _values(fields)
    if fields.owner_id is not None:
        values["owner_id"] = fields.owner_id
        if fields.owner_id != opportunity.owner_id:
            statistics_rollup.opportunities_changing(uow, [opportunity.id])
    if values["type_id"] != opportunity.type_id:
        await _deal_type_changing(uow, opportunity.id)
    before = {name: getattr(opportunity, name) for name in (*values, *TRACKED)}
    for name, value in values.items():
        setattr(opportunity, name, value)
    if _history(uow, opportunity, before) is not None:
        opportunity.updated_at = uow.now
    changes = diff({k: v for k, v in before.items() if k in values}, values)
    if changes:
        opportunity.updated_at = uow.now
        uow.log(ENTITY, opportunity.id, "update", changes)
    return opportunity


async def _deal_type_changing(uow: UnitOfWork, opportunity_id: int) -> None:
    """An order's deal type is its opportunity's: statistics count its orders anew."""
    orders = await statistics_rollup.orders_where(uow, Order.opportunity_id == opportunity_id)
    await statistics_rollup.changing(uow, orders)


async def delete_opportunity(uow: UnitOfWork, id: int) -> int:
    opportunity = await managed_opportunity(uow, id)
    await _deal_type_changing(uow, opportunity.id)
    await uow.session.delete(opportunity)
    uow.log(ENTITY, id, "delete", {"title": [opportunity.title, None]})
    return id


@dataclass(frozen=True, slots=True)
class DetailFields:
    kind: DetailKind
    title: str
    content: str | None = None
    amount: Decimal | None = None


async def add_detail(
    uow: UnitOfWork, opportunity_id: int, input: dict[str, Any]
) -> OpportunityDetail:
    """A requirement, solution, quote or competitor on the opportunity."""
    fields = DetailFields(**input)
    opportunity = await managed_opportunity(uow, opportunity_id)
    problems = Problems()
    if p := text_problem(fields.title, max_length=200):
        problems.add("title", p)
    if fields.content is not None and (
        p := text_problem(fields.content, max_length=10000, required=False)
    ):
        problems.add("content", p)
    if fields.amount is not None and (p := money_problem(fields.amount)):
        problems.add("amount", p)
    problems.raise_if_any()
    detail = OpportunityDetail(
        opportunity_id=opportunity.id,
        kind=fields.kind,
        title=fields.title.strip(),
        content=(fields.content or "").strip() or None,
        amount=None if fields.amount is None else cents(fields.amount),
        created_by_id=uow.principal.user_id,
        created_at=uow.now,
    )
    uow.session.add(detail)
    await uow.session.flush()
    uow.log(ENTITY, opportunity.id, "add_detail", {str(fields.kind): [None, detail.title]})
    return detail


async def delete_detail(uow: UnitOfWork, id: int) -> int:
    detail_id = id
    detail = await uow.session.get(OpportunityDetail, detail_id)
    if detail is None:
        raise NotFound("Opportunity detail", detail_id)
    try:
        await managed_opportunity(uow, detail.opportunity_id)
    except NotFound:
        raise NotFound("Opportunity detail", detail_id) from None
    await uow.session.delete(detail)
    uow.log(
        ENTITY, detail.opportunity_id, "delete_detail", {str(detail.kind): [detail.title, None]}
    )
    return detail_id


# ---- lists, funnel and forecast ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpportunityFilter:
    customer_id: int | None = None
    owner_id: int | None = None
    department_id: int | None = None
    stage_id: int | None = None
    outcome: StageOutcome | None = None
    expected_from: date | None = None
    expected_to: date | None = None
    search: str | None = None


def _conditions(principal: Principal, f: OpportunityFilter) -> list[ColumnElement[bool]]:
    where = [visibility.opportunity(principal, narrowed=True)]
    if f.customer_id is not None:
        where.append(Opportunity.customer_id == f.customer_id)
    if f.owner_id is not None:
        where.append(Opportunity.owner_id == f.owner_id)
    if f.department_id is not None:
        roots = select(Department.id).where(Department.id == f.department_id)
        members = select(User.id).where(User.department_id.in_(department_subtree(roots)))
        where.append(Opportunity.owner_id.in_(members))
    if f.stage_id is not None:
        where.append(Opportunity.stage_id == f.stage_id)
    if f.outcome is not None:
        where.append(
            Opportunity.stage_id.in_(
                select(OpportunityStage.id).where(OpportunityStage.outcome == f.outcome)
            )
        )
    if f.expected_from is not None:
        where.append(Opportunity.expected_sign_date >= f.expected_from)
    if f.expected_to is not None:
        where.append(Opportunity.expected_sign_date <= f.expected_to)
    if f.search and f.search.strip():
        where.append(Opportunity.title.icontains(f.search.strip(), autoescape=True))
    return where


def opportunity_query(
    principal: Principal, filter: dict[str, Any] | None = None
) -> Select[Opportunity]:
    return select(Opportunity).where(*_conditions(principal, OpportunityFilter(**(filter or {}))))


async def find_opportunity(
    session: AsyncSession, principal: Principal, id: int
) -> Opportunity | None:
    """The opportunity ``id`` if the caller may see it."""
    return await session.scalar(opportunity_query(principal).where(Opportunity.id == id))


@dataclass(frozen=True, slots=True)
class FunnelRow:
    stage: OpportunityStage
    count: int
    amount: Decimal


async def funnel(
    session: AsyncSession, principal: Principal, filter: dict[str, Any] | None
) -> list[FunnelRow]:
    """Per stage (in stage order, empty stages included): how many opportunities and the sum
    of their expected amounts, within the caller's scope and the filters."""
    stmt = (
        select(
            Opportunity.stage_id,
            func.count(Opportunity.id),
            func.coalesce(func.sum(Opportunity.amount), 0),
        )
        .where(*_conditions(principal, OpportunityFilter(**(filter or {}))))
        .group_by(Opportunity.stage_id)
    )
    rows = {
        stage_id: (count, Decimal(total))
        for stage_id, count, total in (await session.execute(stmt)).all()
    }
    return [
        FunnelRow(stage, *(rows.get(stage.id) or (0, Decimal("0.00"))))
        for stage in await stages(session)
    ]


@dataclass(frozen=True, slots=True)
class ForecastRow:
    key: int | None  # user id or department id
    count: int
    amount: Decimal
    weighted_amount: Decimal


@dataclass(frozen=True, slots=True)
class Forecast:
    total: ForecastRow
    by_user: list[ForecastRow]
    by_department: list[ForecastRow]


FORECAST_DAYS = 90


def forecast_period(
    settings: SystemSettings, now: datetime, first: date | None, last: date | None
) -> tuple[date, date]:
    """The forecast's period: from today (the company's) and FORECAST_DAYS on, where not
    given."""
    first = first or company_today(settings, now)
    return first, last or first + timedelta(days=FORECAST_DAYS)


async def forecast(
    session: AsyncSession,
    principal: Principal,
    expected_from: date,
    expected_to: date,
    department_id: int | None = None,
    owner_id: int | None = None,
) -> Forecast:
    """Open opportunities expected to sign in the period, by owner and by owner's department:
    count, Σ expected amount and Σ(amount x probability). Sums are taken in SQL over exact
    cents x whole percents; the division by 100 is exact, so rows add up to the total (the
    rows by user, as every opportunity has an owner)."""
    filters = OpportunityFilter(
        outcome=StageOutcome.OPEN,
        expected_from=expected_from,
        expected_to=expected_to,
        department_id=department_id,
        owner_id=owner_id,
    )
    results: list[list[ForecastRow]] = []
    for key_column in (Opportunity.owner_id, User.department_id):
        stmt = (
            select(
                key_column,
                func.count(Opportunity.id),
                func.coalesce(func.sum(Opportunity.amount), 0),
                func.coalesce(func.sum(Opportunity.amount * Opportunity.probability), 0),
            )
            .join(User, User.id == Opportunity.owner_id)
            .where(*_conditions(principal, filters))
            .group_by(key_column)
            .order_by(key_column)
        )
        rows = (await session.execute(stmt)).all()
        results.append(
            [
                ForecastRow(key, count, Decimal(amount), weighted_percent(Decimal(weighted)))
                for key, count, amount, weighted in rows
            ]
        )
    by_user, by_department = results
    total = ForecastRow(
        key=None,
        count=sum(r.count for r in by_user),
        amount=sum((r.amount for r in by_user), Decimal("0.00")),
        weighted_amount=sum((r.weighted_amount for r in by_user), Decimal("0.00")),
    )
    return Forecast(total, by_user, by_department)


def weighted_percent(amount_times_percent: Decimal) -> Decimal:
    """Σ(amount x percent) / 100, exact (at most four decimal places), at least two shown."""
    value = amount_times_percent.quantize(Decimal("0.01")).scaleb(-2)
    for places in ("0.01", "0.001"):
        if value == value.quantize(Decimal(places)):
            return value.quantize(Decimal(places))
    return value


async def opportunity_problem(
    uow: UnitOfWork, customer_id: int, opportunity_id: int | None
) -> str | None:
    """Why a record of this customer may not point to ``opportunity_id`` (None: it may): the
    opportunity must be the customer's and one the caller sees."""
    if opportunity_id is None:
        return None
    found = await uow.session.scalar(
        select(Opportunity.customer_id).where(
            Opportunity.id == opportunity_id, visibility.opportunity(uow.principal)
        )
    )
    if found != customer_id:
        return f"opportunity {opportunity_id} is not an opportunity of this customer"
    return None
