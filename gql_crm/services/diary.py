"""The work diary (F7.8): one entry per user and day, private unless shared with the
author's leader (``visibility.led_by``), who is told and may comment; the author hears of
comments too. Only the author changes an entry."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, exists, select

from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.models import Department, NotificationCategory, User
from gql_crm.db.models.diary import DiaryComment, DiaryEntry
from gql_crm.db.pagination import SortKey
from gql_crm.services.errors import Conflict
from gql_crm.services.note import mine
from gql_crm.services.notification import NotificationDraft, notify
from gql_crm.services.records import Records
from gql_crm.services.unit_of_work import UnitOfWork

ORDER = (SortKey(DiaryEntry.entry_date, True), SortKey(DiaryEntry.id, True))


async def _check(uow: UnitOfWork, values: dict[str, Any], row: Any) -> dict[str, Any]:
    values = await mine(uow, values, row)
    day: date = values["entry_date"]
    taken = exists().where(
        DiaryEntry.owner_id == values["owner_id"],
        DiaryEntry.entry_date == day,
        DiaryEntry.id != (row.id if row else 0),
    )
    if await uow.session.scalar(select(taken)):
        message = f"You already have a diary entry for {day.isoformat()}: change that one."
        raise Conflict(message, "entryDate")
    newly_shared = values.get("shared_with_leader") and not (row and row.shared_with_leader)
    if newly_shared and (leader := await leader_of(uow, values["owner_id"])):
        title = f"A diary entry of {day.isoformat()} was shared with you"
        await notify(uow, [leader], _draft("diary", title, row))
    return values


def _draft(kind: str, title: str, row: Any, body: str = "") -> NotificationDraft:
    return NotificationDraft(
        category=NotificationCategory.PERSONAL, kind=kind, title=title, body=body,
        link_type="diary_entry", link_id=row.id if row else None,
    )  # fmt: skip


# Reads by the author and their leader; writes by the author alone.
entries = Records(
    DiaryEntry, "diary_entry", visibility.diary_entry, check=_check, summary="entry_date"
)
own_entries = Records(
    DiaryEntry, "diary_entry", visibility.own_diary_entry, check=_check, summary="entry_date"
)


def rows(principal: Principal, mine: bool = True) -> Select[DiaryEntry]:
    """Your own entries, or (``mine`` false) those your team shared with you."""
    stmt = entries.rows(principal)
    if mine:
        return stmt.where(DiaryEntry.owner_id == principal.user_id)
    return stmt.where(DiaryEntry.owner_id != principal.user_id)


async def leader_of(uow: UnitOfWork, user_id: int) -> int | None:
    """The manager of the user's department, or for its own manager the one above."""
    department = await uow.session.scalar(
        select(Department).join(User, User.department_id == Department.id).where(User.id == user_id)
    )
    if department is None:
        return None
    if department.manager_id not in (None, user_id):
        return department.manager_id
    if department.parent_id is None:
        return None
    above = await uow.session.get(Department, department.parent_id)
    return above.manager_id if above else None


async def comment(uow: UnitOfWork, id: int, content: str) -> DiaryComment:
    """The author, or the leader they shared the entry with, comments; the other is told."""
    entry = await entries.get(uow, id)
    me = uow.principal.user_id
    note = DiaryComment(entry_id=entry.id, author_id=me, content=content, created_at=uow.now)
    uow.session.add(note)
    await uow.session.flush()
    other = entry.owner_id if me != entry.owner_id else await leader_of(uow, me)
    if other is not None and entry.shared_with_leader:
        title = f"New comment on the diary entry of {entry.entry_date.isoformat()}"
        await notify(uow, [other], _draft("diary_comment", title, entry, content[:200]))
    return note
