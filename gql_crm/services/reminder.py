"""Reminders (F4.1, F4.3): a task's or schedule's reminder time becomes a notification, once.

Set-based and race-free: one conditional UPDATE per kind marks what is due and returns it,
so two workers (or a rerun after a crash) can never send the same reminder twice; a
reminder whose time passed while nothing ran is sent at the next run.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import exists, select, update

from gql_crm.db.models import Customer, NotificationCategory, Schedule, Task, User
from gql_crm.services import outbox, sending
from gql_crm.services.notification import NotificationDraft, notify_each
from gql_crm.services.unit_of_work import Services, UnitOfWork

logger = logging.getLogger("gql_crm.workers.reminders")


async def _claim_due(uow: UnitOfWork, model: Any, *still_due: Any, shown: Any) -> list[Any]:
    """Mark ``model``'s due, unsent, owned reminders on live customers as sent, returning
    id, owner and the ``shown`` columns of each."""
    live_customer = exists().where(Customer.id == model.customer_id, Customer.deleted_at.is_(None))
    stmt = (
        update(model)
        .where(
            model.remind_at <= uow.now,
            model.reminded_at.is_(None),
            model.deleted_at.is_(None),
            model.owner_id.is_not(None),
            live_customer,
            *still_due,
        )
        .values(reminded_at=uow.now)
        .returning(model.id, model.owner_id, *shown)
        .execution_options(synchronize_session=False)
    )
    return list((await uow.session.execute(stmt)).all())


async def _text_owners(uow: UnitOfWork, items: list[tuple[int, NotificationDraft]]) -> None:
    """The reminders asked for by SMS, to their owners' mobile phones (those who have one),
    queued in the outbox with the reminders' own transaction."""
    if not items:
        return
    phones = dict(
        (
            await uow.session.execute(
                select(User.id, User.phone).where(User.id.in_({o for o, _ in items}))
            )
        ).all()
    )
    await outbox.enqueue(
        uow,
        sending.SMS,
        [
            {"key": sending.sms_id(), "payload": {"to": phone, "body": _text(draft)}}
            for owner_id, draft in items
            if (phone := (phones.get(owner_id) or "").strip())
        ],
    )


def _text(draft: NotificationDraft) -> str:
    return f"{draft.title}: {draft.body}"[:300] if draft.body else draft.title


async def send_reminders(services: Services) -> int:
    """Turn every due, unsent reminder into a notification for its owner; how many."""
    async with UnitOfWork(services, None) as uow:
        tasks = await _claim_due(
            uow, Task, Task.done.is_(False), shown=(Task.content, Task.due_at, Task.remind_by_sms)
        )
        schedules = await _claim_due(
            uow, Schedule, shown=(Schedule.title, Schedule.starts_at, Schedule.remind_by_sms)
        )
        drafts = [
            (
                owner_id,
                NotificationDraft(
                    category=NotificationCategory.PERSONAL,
                    kind="task_reminder",
                    title=f"To-do due {due_at.isoformat(timespec='minutes')}",
                    body=content[:500],
                    link_type="task",
                    link_id=task_id,
                ),
            )
            for task_id, owner_id, content, due_at, _ in tasks
            if owner_id is not None  # always: the UPDATE took owned rows only
        ] + [
            (
                owner_id,
                NotificationDraft(
                    category=NotificationCategory.PERSONAL,
                    kind="schedule_reminder",
                    title=f"{title} at {starts_at.isoformat(timespec='minutes')}",
                    link_type="schedule",
                    link_id=schedule_id,
                ),
            )
            for schedule_id, owner_id, title, starts_at, _ in schedules
            if owner_id is not None
        ]
        await notify_each(uow, drafts)
        by_sms = [
            (owner_id, draft)
            for (owner_id, draft), (*_, sms) in zip(drafts, [*tasks, *schedules], strict=True)
            if sms
        ]
        await _text_owners(uow, by_sms)
    if drafts:
        logger.info("reminders: %d tasks, %d schedules", len(tasks), len(schedules))
    return len(drafts)
