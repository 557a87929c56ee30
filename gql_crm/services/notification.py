"""The notification bell (F7.9): persisted per user, pushed live with the new unread counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.principal import Principal
from gql_crm.db.base import core_table
from gql_crm.db.models import Notification, NotificationCategory
from gql_crm.db.pagination import SortKey
from gql_crm.services.unit_of_work import UnitOfWork
from gql_crm.subscriptions.bus import user_channel

# Above this many recipients one event carries them all (decoded once per server process)
# instead of one event per recipient.
BROADCAST_THRESHOLD = 20
BROADCAST_CHANNEL = "notifications:broadcast"
ORDER = (SortKey(Notification.id, descending=True),)
_CHUNK = 5000  # bind parameters per statement stay far below every driver's limit


@dataclass(frozen=True, slots=True)
class UnreadCounts:
    personal: int
    system: int

    @property
    def total(self) -> int:
        return self.personal + self.system


@dataclass(frozen=True, slots=True)
class NotificationDraft:
    category: NotificationCategory
    kind: str
    title: str
    body: str = ""
    link_type: str | None = None
    link_id: int | None = None


def as_payload(draft: NotificationDraft, created_at: str) -> dict[str, Any]:
    return {
        "category": str(draft.category),
        "kind": draft.kind,
        "title": draft.title,
        "body": draft.body,
        "linkType": draft.link_type,
        "linkId": draft.link_id,
        "createdAt": created_at,
    }


async def unread_counts(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, UnreadCounts]:
    """Unread counts per user, in one statement per few thousand users."""
    found: dict[int, dict[str, int]] = {uid: {} for uid in user_ids}
    for start in range(0, len(user_ids), _CHUNK):
        chunk = list(user_ids[start : start + _CHUNK])
        rows = await session.execute(
            select(Notification.user_id, Notification.category, func.count())
            .where(Notification.user_id.in_(chunk), Notification.read_at.is_(None))
            .group_by(Notification.user_id, Notification.category)
        )
        for user_id, category, count in rows:
            found[user_id][str(category)] = count
    return {
        uid: UnreadCounts(personal=c.get("personal", 0), system=c.get("system", 0))
        for uid, c in found.items()
    }


async def notify(uow: UnitOfWork, user_ids: Sequence[int], draft: NotificationDraft) -> None:
    """Put a notification in each user's bell; they hear of it live after the commit."""
    recipients = list(dict.fromkeys(user_ids))
    if not recipients:
        return
    session = uow.session
    ids: dict[int, int] = {}
    for start in range(0, len(recipients), _CHUNK):
        rows = await session.execute(
            insert(Notification).returning(Notification.user_id, Notification.id),
            [
                {
                    "user_id": uid,
                    "category": draft.category,
                    "kind": draft.kind,
                    "title": draft.title,
                    "body": draft.body,
                    "link_type": draft.link_type,
                    "link_id": draft.link_id,
                    "created_at": uow.now,
                }
                for uid in recipients[start : start + _CHUNK]
            ],
        )
        ids.update({user_id: notification_id for user_id, notification_id in rows})
    counts = await unread_counts(session, recipients)
    payload = as_payload(draft, uow.now.isoformat())
    if len(recipients) <= BROADCAST_THRESHOLD:
        for uid in recipients:
            uow.emit(
                user_channel(uid),
                "notification.created",
                ids[uid],
                {**payload, "unread": [counts[uid].personal, counts[uid].system]},
            )
    else:
        uow.emit(
            BROADCAST_CHANNEL,
            "notification.created",
            None,
            {
                **payload,
                "recipients": {
                    str(uid): _recipient_entry(ids[uid], counts[uid]) for uid in recipients
                },
            },
        )


def _recipient_entry(notification_id: int, counts: UnreadCounts) -> str:
    # A string, not a list: every server process decodes the whole map, and a dict of
    # strings is one object to the garbage collector where a dict of lists is one per
    # recipient (10,000 objects entering its youngest generation at once).
    return f"{notification_id} {counts.personal} {counts.system}"


def read_recipient_entry(entry: str | list[int]) -> tuple[int, UnreadCounts]:
    """A broadcast notification's entry for one recipient: its id and their counts.

    A list is the entry as servers before 2026-12-04 published it: during a rolling upgrade
    some processes still do.
    """
    values = entry if isinstance(entry, list) else entry.split()
    notification_id, personal, system = map(int, values)
    return notification_id, UnreadCounts(personal, system)


async def notify_each(uow: UnitOfWork, items: Sequence[tuple[int, NotificationDraft]]) -> None:
    """Put a different notification in each given bell, in a few multi-row INSERTs.

    Live, each recipient hears of their newest notification of the batch with their unread
    counts (the push is a hint; the bell query has them all), so a job that writes thousands
    of notifications publishes one event per recipient, not one per notification.
    """
    if not items:
        return
    session = uow.session
    newest: dict[int, tuple[int, NotificationDraft]] = {}
    for start in range(0, len(items), _CHUNK // 8):  # eight bound values per row
        chunk = items[start : start + _CHUNK // 8]
        rows = await session.execute(
            insert(core_table(Notification)).returning(
                core_table(Notification).c.id, sort_by_parameter_order=True
            ),
            [
                {
                    "user_id": uid,
                    "category": draft.category,
                    "kind": draft.kind,
                    "title": draft.title,
                    "body": draft.body,
                    "link_type": draft.link_type,
                    "link_id": draft.link_id,
                    "created_at": uow.now,
                }
                for uid, draft in chunk
            ],
        )
        for (uid, draft), notification_id in zip(chunk, rows.scalars(), strict=True):
            newest[uid] = (notification_id, draft)
    announce_newest(uow, newest, await unread_counts(session, list(newest)))


def announce_newest(
    uow: UnitOfWork,
    newest: dict[int, tuple[int, NotificationDraft]],
    counts: dict[int, UnreadCounts],
) -> None:
    """Tell each recipient, after the commit, of their newest notification (id, draft) and
    their unread counts."""
    created_at = uow.now.isoformat()
    for uid, (notification_id, draft) in newest.items():
        uow.emit(
            user_channel(uid),
            "notification.created",
            notification_id,
            {
                **as_payload(draft, created_at),
                "unread": [counts[uid].personal, counts[uid].system],
            },
        )


async def my_unread_counts(session: AsyncSession, principal: Principal) -> UnreadCounts:
    return (await unread_counts(session, [principal.user_id]))[principal.user_id]


def notifications_query(principal: Principal, *, unread_only: bool) -> Select[Notification]:
    stmt = select(Notification).where(Notification.user_id == principal.user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt


async def mark_read(uow: UnitOfWork, id: int) -> Notification:
    mine = Notification.user_id == uow.principal.user_id
    notification = await uow.find(Notification, id, mine)
    if notification.read_at is None:
        notification.read_at = uow.now
    return notification


async def mark_all_read(uow: UnitOfWork, category: NotificationCategory | None) -> int:
    stmt = (
        update(Notification)
        .where(Notification.user_id == uow.principal.user_id, Notification.read_at.is_(None))
        .values(read_at=uow.now)
    )
    if category is not None:
        stmt = stmt.where(Notification.category == category)
    result = await uow.session.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]
