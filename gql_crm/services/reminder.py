"""Reminders (F4.1, F4.3): a task's or schedule's reminder time becomes a notification, once.

Set-based and race-free: one conditional UPDATE per kind marks what is due and returns it,
so two workers (or a rerun after a crash) can never send the same reminder twice; a
reminder whose time passed while nothing ran is sent at the next run.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import exists, update

from gql_crm.db.models import Customer, NotificationCategory, Schedule, Task
from gql_crm.services.notification import NotificationDraft, notify_each
from gql_crm.services.unit_of_work import Services, UnitOfWork

logger = logging.getLogger("gql_crm.workers.reminders")


def _live_customer(model: Any) -> Any:
    return exists().where(Customer.id == model.customer_id, Customer.deleted_at.is_(None))


async def send_reminders(services: Services) -> int:
    """Turn every due, unsent reminder into a notification for its owner; how many."""
    async with UnitOfWork(services, None) as uow:
        now = uow.now
        tasks = (
            await uow.session.execute(
                update(Task)
                .where(
                    Task.remind_at <= now,
                    Task.reminded_at.is_(None),
                    Task.done.is_(False),
                    Task.deleted_at.is_(None),
                    Task.owner_id.is_not(None),
                    _live_customer(Task),
                )
                .values(reminded_at=now)
                .returning(Task.id, Task.owner_id, Task.content, Task.due_at)
                .execution_options(synchronize_session=False)
            )
        ).all()
        schedules = (
            await uow.session.execute(
                update(Schedule)
                .where(
                    Schedule.remind_at <= now,
                    Schedule.reminded_at.is_(None),
                    Schedule.deleted_at.is_(None),
                    Schedule.owner_id.is_not(None),
                    _live_customer(Schedule),
                )
                .values(reminded_at=now)
                .returning(Schedule.id, Schedule.owner_id, Schedule.title, Schedule.starts_at)
                .execution_options(synchronize_session=False)
            )
        ).all()
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
            for task_id, owner_id, content, due_at in tasks
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
            for schedule_id, owner_id, title, starts_at in schedules
            if owner_id is not None
        ]
        await notify_each(uow, drafts)
    if drafts:
        logger.info("reminders: %d tasks, %d schedules", len(tasks), len(schedules))
    return len(drafts)
