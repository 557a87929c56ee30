"""Announcements (F7.4) and instant notices (F7.9).

Publishing puts a system notification in the bell of everyone in the audience; that set of
notifications is also what decides who may read the announcement later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, select

from gql_crm.auth.permissions import Module, record_codes
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.models import (
    Announcement,
    Audience,
    Department,
    Notification,
    NotificationCategory,
    User,
)
from gql_crm.db.pagination import SortKey
from gql_crm.db.scopes import department_subtree
from gql_crm.services.errors import Conflict, Problems
from gql_crm.services.notification import NotificationDraft, notify
from gql_crm.services.unit_of_work import UnitOfWork

_, ANNOUNCEMENT_CREATE, ANNOUNCEMENT_EDIT, ANNOUNCEMENT_DELETE = record_codes(Module.ANNOUNCEMENT)
NOTICE_TOPIC = "notices"
PUBLISHED_ORDER = (SortKey(Announcement.published_at, True), SortKey(Announcement.id, True))
DRAFT_ORDER = (SortKey(Announcement.id, True),)


@dataclass(frozen=True, slots=True)
class AnnouncementFields:
    title: str
    content: str
    audience: Audience
    audience_ids: Sequence[int] = ()
    title_style: Any = None  # None: no style


def announcements_query(principal: Principal) -> Select[Announcement]:
    return select(Announcement).where(visibility.announcement(principal))


def drafts_query(principal: Principal) -> Select[Announcement]:
    return select(Announcement).where(
        Announcement.author_id == principal.user_id,
        Announcement.published_at.is_(None),
        Announcement.deleted_at.is_(None),
    )


async def _check(uow: UnitOfWork, fields: AnnouncementFields) -> None:
    problems = Problems()
    if fields.title_style is not None and not isinstance(fields.title_style, dict):
        problems.add("titleStyle", 'must be an object, e.g. {"color": "#c00", "bold": true}')
    if fields.audience is Audience.EVERYONE and fields.audience_ids:
        problems.add("audienceIds", "leave empty for an announcement to everyone")
    if fields.audience is not Audience.EVERYONE:
        model = Department if fields.audience is Audience.DEPARTMENTS else User
        wanted = set(fields.audience_ids)
        found = set(await uow.session.scalars(select(model.id).where(model.id.in_(wanted))))
        if not wanted:
            problems.add("audienceIds", f"name the {fields.audience} to address")
        elif missing := sorted(wanted - found):
            problems.add(
                "audienceIds", f"unknown {fields.audience}: {', '.join(map(str, missing))}"
            )
    problems.raise_if_any()


async def _audience(uow: UnitOfWork, announcement: Announcement) -> list[int]:
    stmt = select(User.id).where(User.is_active.is_(True), User.deleted_at.is_(None))
    if announcement.audience is Audience.DEPARTMENTS:
        roots = select(Department.id).where(Department.id.in_(announcement.audience_ids))
        stmt = stmt.where(User.department_id.in_(department_subtree(roots)))
    elif announcement.audience is Audience.USERS:
        stmt = stmt.where(User.id.in_(announcement.audience_ids))
    return list(await uow.session.scalars(stmt.order_by(User.id)))


async def create_announcement(
    uow: UnitOfWork, input: dict[str, Any], publish: bool
) -> Announcement:
    fields = AnnouncementFields(**input)
    await _check(uow, fields)
    announcement = Announcement(
        title=fields.title.strip(),
        content=fields.content,
        title_style=dict(fields.title_style or {}),
        audience=fields.audience,
        audience_ids=sorted(set(fields.audience_ids)),
        author_id=uow.principal.user_id,
    )
    await uow.add("announcement", announcement, title=announcement.title)
    if publish:
        await _publish(uow, announcement)
    return announcement


async def _own(uow: UnitOfWork, announcement_id: int) -> Announcement:
    """An announcement the caller wrote: only its author publishes, edits or deletes it."""
    return await uow.find(
        Announcement,
        announcement_id,
        Announcement.deleted_at.is_(None),
        Announcement.author_id == uow.principal.user_id,
    )


async def publish_announcement(uow: UnitOfWork, id: int) -> Announcement:
    announcement = await _own(uow, id)
    if announcement.published_at is not None:
        raise Conflict("This announcement is already published.", "id")
    await _publish(uow, announcement)
    return announcement


def _draft(announcement: Announcement) -> NotificationDraft:
    return NotificationDraft(
        category=NotificationCategory.SYSTEM,
        kind="announcement",
        title=announcement.title,
        body=announcement.content[:500],
        link_type="announcement",
        link_id=announcement.id,
    )


async def _publish(uow: UnitOfWork, announcement: Announcement) -> None:
    announcement.published_at = uow.now
    recipients = await _audience(uow, announcement)
    await notify(uow, recipients, _draft(announcement))
    uow.log("announcement", announcement.id, "publish", {"audienceSize": [None, len(recipients)]})


async def update_announcement(uow: UnitOfWork, id: int, input: dict[str, Any]) -> Announcement:
    """Edit an announcement. A new audience of a published one applies at once: new readers
    get it in their bell, readers left out lose it."""
    fields = AnnouncementFields(**input)
    announcement = await _own(uow, id)
    await _check(uow, fields)
    before = (announcement.audience, list(announcement.audience_ids))
    uow.apply(
        "announcement",
        announcement,
        {
            "title": fields.title.strip(),
            "content": fields.content,
            "title_style": dict(fields.title_style or {}),
            "audience": fields.audience,
            "audience_ids": sorted(set(fields.audience_ids)),
        },
    )
    if announcement.published_at is not None and before != (
        announcement.audience,
        list(announcement.audience_ids),
    ):
        await _readdress(uow, announcement)
    return announcement


async def _readdress(uow: UnitOfWork, announcement: Announcement) -> None:
    """Bring the bell entries of a published announcement in line with its audience."""
    link = (Notification.link_type == "announcement", Notification.link_id == announcement.id)
    notified = set(await uow.session.scalars(select(Notification.user_id).where(*link)))
    recipients = set(await _audience(uow, announcement))
    if gone := notified - recipients:
        await uow.session.execute(delete(Notification).where(*link, Notification.user_id.in_(gone)))
    await notify(uow, sorted(recipients - notified), _draft(announcement))
    uow.log(
        "announcement",
        announcement.id,
        "readdress",
        {"audienceSize": [len(notified), len(recipients)]},
    )


async def delete_announcement(uow: UnitOfWork, id: int) -> int:
    announcement = await _own(uow, id)
    announcement.deleted_at = uow.now
    # Its bell entries go with it, so unread counts do not point at something gone.
    await uow.session.execute(
        delete(Notification).where(
            Notification.link_type == "announcement", Notification.link_id == announcement.id
        )
    )
    uow.log("announcement", announcement.id, "delete", {"title": [announcement.title, None]})
    return announcement.id


async def send_instant_notice(uow: UnitOfWork, title: str, body: str) -> None:
    """Shown once to whoever is online now; nothing is stored."""
    uow.emit(
        NOTICE_TOPIC,
        "notice",
        None,
        {"title": title.strip(), "body": body, "senderId": uow.principal.user_id},
    )
