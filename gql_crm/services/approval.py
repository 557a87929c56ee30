"""Approvals (F7.2): an applicant names approvers who decide one step after another."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.models import (
    Approval,
    ApprovalAction,
    ApprovalHistory,
    ApprovalStatus,
    ApprovalStep,
    ApprovalType,
    NotificationCategory,
    User,
)
from gql_crm.db.pagination import SortKey
from gql_crm.services import webhook
from gql_crm.services.errors import Conflict, InvalidInput, Problems
from gql_crm.services.money import CENT, money_problem
from gql_crm.services.notification import NotificationDraft, notify
from gql_crm.services.unit_of_work import UnitOfWork

TOPIC = "approvals"
ORDER = (SortKey(Approval.id, descending=True),)
MAX_STEPS = 10
_DATED = (ApprovalType.LEAVE, ApprovalType.BUSINESS_TRIP)
_MONEY = (ApprovalType.REIMBURSEMENT, ApprovalType.EXPENSE)


@dataclass(frozen=True, slots=True)
class Application:
    type: ApprovalType
    title: str
    approver_ids: Sequence[int]
    content: str = ""
    amount: Decimal | None = None
    starts_on: date | None = None
    ends_on: date | None = None


def approvals_query(
    principal: Principal, *, status: ApprovalStatus | None, awaiting_me: bool
) -> Select[Approval]:
    stmt = select(Approval).where(visibility.approval(principal))
    if status is not None:
        stmt = stmt.where(Approval.status == status)
    if awaiting_me:
        stmt = stmt.where(
            Approval.status == ApprovalStatus.PENDING,
            exists().where(
                ApprovalStep.approval_id == Approval.id,
                ApprovalStep.step == Approval.current_step,
                ApprovalStep.approver_id == principal.user_id,
            ),
        )
    return stmt


async def visible_approval(
    session: AsyncSession, principal: Principal, approval_id: int
) -> Approval | None:
    stmt = approvals_query(principal, status=None, awaiting_me=False)
    return await session.scalar(stmt.where(Approval.id == approval_id))


def can_watch(principal: Principal, payload: dict[str, Any]) -> bool:
    """Whether a live approval event concerns the subscriber (same rule as ``visibility``)."""
    applicant = payload["applicantId"]
    return (
        applicant == principal.user_id
        or principal.user_id in payload["approverIds"]
        or principal.can_see_owner(applicant)
    )


def _check(application: Application) -> None:
    problems = Problems()
    if not application.approver_ids:
        problems.add("approverIds", "name at least one approver")
    if len(application.approver_ids) > MAX_STEPS:
        problems.add("approverIds", f"at most {MAX_STEPS} steps")
    if application.type in _DATED:
        if application.starts_on is None or application.ends_on is None:
            problems.add("startsOn", f"a {application.type} application needs start and end dates")
        elif application.ends_on < application.starts_on:
            problems.add("endsOn", "must not be before startsOn")
    if application.type in _MONEY and application.amount is None:
        problems.add("amount", f"a {application.type} application needs an amount")
    if application.amount is not None and (p := money_problem(application.amount, positive=True)):
        problems.add("amount", p)
    if len(set(application.approver_ids)) != len(application.approver_ids):
        problems.add("approverIds", "name each approver once")
    if (
        application.type not in _DATED
        and application.starts_on is not None
        and application.ends_on is not None
        and application.ends_on < application.starts_on
    ):
        problems.add("endsOn", "must not be before startsOn")
    problems.raise_if_any()


async def _steps(uow: UnitOfWork, approval_id: int) -> list[ApprovalStep]:
    rows = await uow.session.scalars(
        select(ApprovalStep)
        .where(ApprovalStep.approval_id == approval_id)
        .order_by(ApprovalStep.step)
    )
    return list(rows)


def _history(
    uow: UnitOfWork,
    approval: Approval,
    action: ApprovalAction,
    comment: str | None,
    step: int | None,
) -> None:
    uow.session.add(
        ApprovalHistory(
            approval_id=approval.id,
            actor_id=uow.principal.user_id,
            action=action,
            step=step,
            comment=comment,
            created_at=uow.now,
        )
    )


def _announce(
    uow: UnitOfWork, approval: Approval, steps: list[ApprovalStep], action: ApprovalAction
) -> None:
    uow.emit(
        TOPIC,
        f"approval.{action}",
        approval.id,
        {
            "approvalId": approval.id,
            "applicantId": approval.applicant_id,
            "approverIds": [s.approver_id for s in steps],
            "status": str(approval.status),
            "currentStep": approval.current_step,
            "action": str(action),
            "actorId": uow.principal.user_id,
        },
    )
    if action in (ApprovalAction.APPROVE, ApprovalAction.REJECT):
        data = {
            "approvalId": approval.id,
            "status": str(approval.status),
            "step": approval.current_step,
            "decision": str(action),
            "approverId": uow.principal.user_id,
        }
        webhook.record(uow, "approval.decided", data, approval.applicant_id)


async def _notify_one(uow: UnitOfWork, user_id: int, approval: Approval, title: str) -> None:
    await notify(
        uow,
        [user_id],
        NotificationDraft(
            category=NotificationCategory.PERSONAL,
            kind="approval",
            title=title,
            body=approval.title,
            link_type="approval",
            link_id=approval.id,
        ),
    )


async def apply(uow: UnitOfWork, input: dict[str, Any]) -> Approval:
    application = Application(**input)
    _check(application)
    me = uow.principal.user_id
    approvers = list(application.approver_ids)
    if me in approvers:
        raise InvalidInput.single("approverIds", "you cannot approve your own application")
    active = set(
        await uow.session.scalars(
            select(User.id).where(
                User.id.in_(approvers), User.is_active.is_(True), User.deleted_at.is_(None)
            )
        )
    )
    if unknown := [uid for uid in approvers if uid not in active]:
        raise InvalidInput.single(
            "approverIds", f"no active user with id {', '.join(map(str, unknown))}"
        )
    approval = Approval(
        applicant_id=me,
        type=application.type,
        title=application.title.strip(),
        content=application.content,
        amount=None if application.amount is None else application.amount.quantize(CENT),
        starts_on=application.starts_on,
        ends_on=application.ends_on,
        status=ApprovalStatus.PENDING,
        current_step=1,
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(approval)
    await uow.session.flush()
    steps = [
        ApprovalStep(approval_id=approval.id, step=n, approver_id=uid)
        for n, uid in enumerate(approvers, 1)
    ]
    uow.session.add_all(steps)
    _history(uow, approval, ApprovalAction.SUBMIT, None, None)
    applicant = await uow.session.get(User, me)
    who = applicant.name if applicant else "A colleague"
    await _notify_one(uow, approvers[0], approval, f"{who} asks for your approval")
    _announce(uow, approval, steps, ApprovalAction.SUBMIT)
    return approval


async def _locked(uow: UnitOfWork, approval_id: int) -> tuple[Approval, list[ApprovalStep]]:
    approval = await uow.find(Approval, approval_id, visibility.approval(uow.principal))
    return approval, await _steps(uow, approval_id)


async def decide(uow: UnitOfWork, id: int, approve: bool, comment: str | None) -> Approval:
    """Approve or reject the current step; only its approver may, and only once."""
    approval, steps = await _locked(uow, id)
    if approval.status is not ApprovalStatus.PENDING:
        raise Conflict(f"This application is already {approval.status}.", "id")
    step = steps[approval.current_step - 1]
    if step.approver_id != uow.principal.user_id:
        raise Conflict("Only the approver of the current step can decide it.", "id")
    action = ApprovalAction.APPROVE if approve else ApprovalAction.REJECT
    step.decision, step.comment, step.decided_at = action, comment, uow.now
    _history(uow, approval, action, comment, step.step)
    approval.updated_at = uow.now
    if approve and approval.current_step < len(steps):
        approval.current_step += 1
        await _notify_one(
            uow,
            steps[approval.current_step - 1].approver_id,
            approval,
            "An application awaits your approval",
        )
    else:
        approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
        approval.decided_at = uow.now
    await _notify_one(
        uow,
        approval.applicant_id,
        approval,
        f"Your application was {'approved' if approve else 'rejected'}"
        + (f" at step {step.step}" if approval.status is ApprovalStatus.PENDING else ""),
    )
    _announce(uow, approval, steps, action)
    return approval


async def comment(uow: UnitOfWork, id: int, comment: str) -> Approval:
    approval, steps = await _locked(uow, id)
    _history(uow, approval, ApprovalAction.COMMENT, comment, None)
    approval.updated_at = uow.now
    _announce(uow, approval, steps, ApprovalAction.COMMENT)
    return approval


async def withdraw(uow: UnitOfWork, id: int) -> Approval:
    approval, steps = await _locked(uow, id)
    if approval.applicant_id != uow.principal.user_id:
        raise Conflict("Only the applicant can withdraw an application.", "id")
    if approval.status is not ApprovalStatus.PENDING:
        raise Conflict(f"This application is already {approval.status}.", "id")
    approval.status = ApprovalStatus.WITHDRAWN
    approval.updated_at = approval.decided_at = uow.now
    _history(uow, approval, ApprovalAction.WITHDRAW, None, None)
    await _notify_one(
        uow, steps[approval.current_step - 1].approver_id, approval, "An application was withdrawn"
    )
    _announce(uow, approval, steps, ApprovalAction.WITHDRAW)
    return approval


approve = partial(decide, approve=True)
reject = partial(decide, approve=False)
