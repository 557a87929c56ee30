"""Income and expense records and the approval of sales expenses (F5.7)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select

from gql_crm.auth.permissions import Advanced, Module, record_codes
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.models import Expense, ExpenseKind, ExpenseStatus
from gql_crm.db.pagination import SortKey
from gql_crm.services.customer import customer_for_sales
from gql_crm.services.errors import AlreadyDecided, Conflict, InvalidInput, NotFound, Problems
from gql_crm.services.money import cents, money_problem
from gql_crm.services.order import company_today
from gql_crm.services.records import Records
from gql_crm.services.setting import get_settings
from gql_crm.services.unit_of_work import UnitOfWork
from gql_crm.subscriptions.bus import user_channel

EXPENSE_VIEW, EXPENSE_CREATE, EXPENSE_EDIT, EXPENSE_DELETE = record_codes(Module.EXPENSE)
ENTITY = "expense"
ORDER = (SortKey(Expense.created_at, True), SortKey(Expense.id, True))


@dataclass(frozen=True, slots=True)
class ExpenseFields:
    amount: Decimal
    occurred_on: date
    description: str
    kind: ExpenseKind = ExpenseKind.EXPENSE
    customer_id: int | None = None
    category: str | None = None


async def _values(uow: UnitOfWork, fields: ExpenseFields, row: Expense | None) -> dict[str, Any]:
    """The record's columns from the form, checked: a customer the caller sells to (unless
    it stays the one it was), a positive amount, a day not in the future."""
    if fields.customer_id is not None and (row is None or fields.customer_id != row.customer_id):
        await customer_for_sales(uow, fields.customer_id)
    problems = Problems()
    if p := money_problem(fields.amount, positive=True):
        problems.add("amount", p)
    settings = await get_settings(uow.session)
    if fields.occurred_on > company_today(settings, uow.now):
        problems.add("occurredOn", "cannot be in the future")
    problems.raise_if_any()
    return {**asdict(fields), "amount": cents(fields.amount)}


def _unreviewed(kind: ExpenseKind) -> ExpenseStatus:
    return ExpenseStatus.PENDING if kind is ExpenseKind.EXPENSE else ExpenseStatus.APPROVED


async def create_expense(uow: UnitOfWork, input: dict[str, Any]) -> Expense:
    """Record income or an expense; an expense waits for approval by someone with
    expense:approve, income is recorded as approved."""
    fields = ExpenseFields(**input)
    values = await _values(uow, fields, None)
    expense = Expense(**values, owner_id=uow.principal.user_id, status=_unreviewed(fields.kind))
    await uow.add(ENTITY, expense, amount=expense.amount)
    return expense


async def update_expense(uow: UnitOfWork, id: int, input: dict[str, Any]) -> Expense:
    """Correct a record of yours or of someone in your scope. A changed expense waits for
    approval again (its earlier review is cleared); income stays approved."""
    expense = await records.get(uow, id)
    if not uow.principal.can_see_owner(expense.owner_id):
        raise Conflict("Only the owner of the record or their managers may change it.", "id")
    fields = ExpenseFields(**input)
    changes = uow.apply(ENTITY, expense, await _values(uow, fields, expense))
    if changes and expense.status is not _unreviewed(fields.kind):
        uow.apply(
            ENTITY,
            expense,
            {
                "status": _unreviewed(fields.kind),
                "reviewed_by_id": None,
                "reviewed_at": None,
                "review_comment": None,
            },
            action="review_cleared",
        )
    return expense


# Deleting (into the deleter's recycle bin), restoring and purging, as for any record.
records: Records[Expense] = Records(
    Expense, ENTITY, visibility.expense, binned=visibility.binned_expense, summary="description"
)
BIN_ORDER = records.bin_order


async def review_expenses(
    uow: UnitOfWork, ids: Sequence[int], approve: bool, comment: str | None
) -> list[Expense]:
    """Approve or reject pending expenses of people in your scope, all or none. Your own
    expenses need someone else; a decided expense cannot be decided again."""
    uow.principal.require(Advanced.APPROVE_EXPENSES)
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        raise InvalidInput.single("ids", "give at least one expense")
    if not approve and not (comment or "").strip():
        raise InvalidInput.single("comment", "say why the expense is rejected")
    found = {
        e.id: e
        for e in await uow.session.scalars(
            select(Expense)
            .where(Expense.id.in_(wanted), visibility.expense(uow.principal))
            .with_for_update(of=Expense)
        )
    }
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound("Expense", ", ".join(map(str, missing)), "ids")
    decided = [i for i in wanted if found[i].status is not ExpenseStatus.PENDING]
    if decided:
        raise AlreadyDecided(
            f"Expense(s) {', '.join(map(str, decided))} were already approved or rejected; "
            "nothing was changed.",
            "ids",
        )
    own = [i for i in wanted if found[i].owner_id == uow.principal.user_id]
    if own:
        raise Conflict(
            f"Expense(s) {', '.join(map(str, own))} are your own; someone else must review them.",
            "ids",
        )
    foreign = [i for i in wanted if not uow.principal.can_see_owner(found[i].owner_id)]
    if foreign:
        raise Conflict(
            f"Expense(s) {', '.join(map(str, foreign))} belong to people outside your scope.",
            "ids",
        )
    status = ExpenseStatus.APPROVED if approve else ExpenseStatus.REJECTED
    for expense_id in wanted:
        expense = found[expense_id]
        expense.status = status
        expense.reviewed_by_id = uow.principal.user_id
        expense.reviewed_at = uow.now
        expense.review_comment = (comment or "").strip() or None
        expense.updated_at = uow.now
        uow.log(ENTITY, expense.id, str(status), {"status": ["pending", str(status)]})
        uow.emit(
            user_channel(expense.owner_id),
            f"expense.{status}",
            expense.id,
            {"expenseId": expense.id, "status": str(status)},
        )
    return [found[i] for i in wanted]


@dataclass(frozen=True, slots=True)
class ExpenseFilter:
    status: ExpenseStatus | None = None
    kind: ExpenseKind | None = None
    customer_id: int | None = None
    owner_id: int | None = None
    search: str | None = None
    occurred_from: date | None = None
    occurred_to: date | None = None


def expense_query(principal: Principal, filter: dict[str, Any] | None) -> Select[Expense]:
    filters = ExpenseFilter(**(filter or {}))
    stmt = select(Expense).where(visibility.expense(principal, narrowed=True))
    if term := (filters.search or "").strip():
        stmt = stmt.where(
            or_(
                Expense.description.icontains(term, autoescape=True),
                Expense.category.icontains(term, autoescape=True),
            )
        )
    if filters.occurred_from is not None:
        stmt = stmt.where(Expense.occurred_on >= filters.occurred_from)
    if filters.occurred_to is not None:
        stmt = stmt.where(Expense.occurred_on <= filters.occurred_to)
    for name in ("status", "kind", "customer_id", "owner_id"):
        value = getattr(filters, name)
        if value is not None:
            stmt = stmt.where(getattr(Expense, name) == value)
    return stmt
