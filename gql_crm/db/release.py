"""The pool release as one PostgreSQL statement per batch.

The set-based path of ``services.pool_release`` still sent every ban, log entry and
notification from Python: a hundred thousand releases meant building and binding three
hundred thousand rows. PostgreSQL can derive them from the UPDATE's RETURNING instead, in
data-modifying CTEs of a single statement, and hand back only a per-owner summary for the
live events.

The rules stay in the service: it passes the due predicate, the values a released customer
gets, and the terms (ban reason, ban end, notification text) for every pool and origin; this
module only says how PostgreSQL writes them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine

from gql_crm.db.base import UTCDateTime, core_table
from gql_crm.db.engine import Database
from gql_crm.db.models import (
    BanReason,
    Customer,
    CustomerBan,
    CustomerShare,
    Notification,
    NotificationCategory,
    OperationLog,
    Pool,
    TemporaryOrigin,
)


def releases_in_one_statement(database: Database) -> bool:
    """Whether ``release_batch`` can serve this database: it needs data-modifying CTEs,
    ``FOR UPDATE SKIP LOCKED`` and ``RETURNING`` from them, which only PostgreSQL has; other
    databases take the row-set path that sends each kind of row from Python."""
    return database.dialect == "postgresql"


@dataclass(frozen=True, slots=True)
class ReleaseTerms:
    """What a release from one pool (entered one way) means for the former owner."""

    reason: BanReason
    until: datetime | None
    body: str  # the notification's text


@dataclass(frozen=True, slots=True)
class ReleaseNotice:
    """The notification every former owner gets: its title is ``title_prefix + name +
    title_suffix``, its body the terms' body, and it links to the customer."""

    category: NotificationCategory
    kind: str
    title_prefix: str
    title_suffix: str
    link_type: str


@dataclass(frozen=True, slots=True)
class OwnerSummary:
    """One former owner's share of a batch: the released customers, the newest of the
    notifications just written for them, and their unread counts including those."""

    owner_id: int
    customer_ids: list[int]
    notification_id: int
    title: str
    body: str
    link_id: int
    unread_personal: int
    unread_system: int


async def release_batch(
    session: AsyncSession,
    *,
    due: ColumnElement[bool],
    limit: int,
    after_id: int,
    released_values: Mapping[str, Any],
    terms: Mapping[tuple[Pool, TemporaryOrigin | None], ReleaseTerms],
    notice: ReleaseNotice,
    actor_id: int | None,
    now: datetime,
) -> list[OwnerSummary]:
    """Release up to ``limit`` due customers (ids above ``after_id``) in one statement:
    lock them (SKIP LOCKED, so a concurrent run takes others), move them (re-checking
    ``due``), drop their shares, ban, log and notify each former owner. Returns one summary
    per former owner, in the order of their first released customer."""
    locked = (
        select(Customer.id, Customer.owner_id, Customer.pool, Customer.temporary_origin)
        .where(due, Customer.id > after_id)
        .order_by(Customer.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("locked")
    )
    # RETURNING sees the new row; the former owner, pool and origin come from the lock (FOR
    # UPDATE yields the newest committed version of each row it locks, so they are current).
    moved = (
        update(Customer)
        .where(Customer.id == locked.c.id, due)
        .values(**released_values)
        .returning(
            Customer.id,
            Customer.name,
            locked.c.owner_id.label("former_owner_id"),
            locked.c.pool.label("former_pool"),
            locked.c.temporary_origin.label("former_origin"),
        )
        .cte("moved")
    )

    def by_terms(
        value: Callable[[ReleaseTerms], object], type_: TypeEngine[Any]
    ) -> ColumnElement[Any]:
        """The terms' ``value`` for each moved row, by its former pool and origin."""
        return case(
            *[
                (
                    and_(
                        moved.c.former_pool == pool,
                        moved.c.former_origin.is_(None)
                        if origin is None
                        else moved.c.former_origin == origin,
                    ),
                    literal(value(term), type_),
                )
                for (pool, origin), term in terms.items()
            ]
        )

    stamp = literal(now, UTCDateTime())
    dropped = (
        delete(CustomerShare)
        .where(CustomerShare.customer_id.in_(select(moved.c.id)))
        .cte("dropped")
    )
    bans_table = core_table(CustomerBan)
    bans = (
        insert(bans_table)
        .from_select(
            ["customer_id", "user_id", "reason", "until", "created_at"],
            select(
                moved.c.id,
                moved.c.former_owner_id,
                by_terms(lambda t: t.reason, bans_table.c.reason.type),
                by_terms(lambda t: t.until, UTCDateTime()),
                stamp,
            ).order_by(moved.c.id),
        )
        .cte("bans")
    )
    # The same {"pool": [from, to], "ownerId": [former, None]} the log writes from Python.
    changes = func.json_build_object(
        cast(literal("pool"), String),
        func.json_build_array(moved.c.former_pool, cast(literal(str(Pool.PUBLIC)), String)),
        cast(literal("ownerId"), String),
        func.json_build_array(moved.c.former_owner_id, cast(null(), Integer)),
    )
    logs = (
        insert(core_table(OperationLog))
        .from_select(
            ["actor_id", "entity_type", "entity_id", "action", "changes", "created_at"],
            select(
                cast(literal(actor_id), Integer),
                literal("customer", String),
                moved.c.id,
                literal("release", String),
                changes,
                stamp,
            ).order_by(moved.c.id),
        )
        .cte("logs")
    )
    notifications = core_table(Notification)
    # Ordered by customer, so each owner's newest notification is that of their last customer
    # (as when the rows are sent from Python).
    notes = (
        insert(notifications)
        .from_select(
            ["user_id", "category", "kind", "title", "body", "link_type", "link_id", "created_at"],
            select(
                moved.c.former_owner_id,
                literal(notice.category, notifications.c.category.type),
                literal(notice.kind, String),
                literal(notice.title_prefix, String)
                + moved.c.name
                + literal(notice.title_suffix, String),
                by_terms(lambda t: t.body, String()),
                literal(notice.link_type, String),
                moved.c.id,
                stamp,
            ).order_by(moved.c.id),
        )
        .returning(
            notifications.c.id,
            notifications.c.user_id,
            notifications.c.title,
            notifications.c.body,
            notifications.c.link_id,
        )
        .cte("notes")
    )
    added = (
        select(
            notes.c.user_id,
            func.array_agg(aggregate_order_by(notes.c.link_id, notes.c.link_id)).label(
                "customer_ids"
            ),
            func.max(notes.c.id).label("notification_id"),
            func.array_agg(aggregate_order_by(notes.c.title, notes.c.id.desc()))[1].label("title"),
            func.array_agg(aggregate_order_by(notes.c.body, notes.c.id.desc()))[1].label("body"),
            func.max(notes.c.link_id).label("link_id"),
            func.count().label("added"),
        )
        .group_by(notes.c.user_id)
        .cte("added")
    )
    # The statement's snapshot does not hold the notifications it writes: the unread counts
    # read here are those from before, and the added ones (all of notice.category) go on top.
    # Counted per owner (LATERAL), so that the (user_id, read_at) index is used owner by owner.
    unread = (
        select(
            func.count()
            .filter(Notification.category == NotificationCategory.PERSONAL)
            .label("personal"),
            func.count()
            .filter(Notification.category == NotificationCategory.SYSTEM)
            .label("system"),
        )
        .where(Notification.user_id == added.c.user_id, Notification.read_at.is_(None))
        .lateral("unread")
    )

    def plus_added(category: NotificationCategory, counted: ColumnElement[int]) -> Any:
        return counted + added.c.added if notice.category is category else counted

    summary = (
        select(
            added.c.user_id,
            added.c.customer_ids,
            added.c.notification_id,
            added.c.title,
            added.c.body,
            added.c.link_id,
            plus_added(NotificationCategory.PERSONAL, unread.c.personal),
            plus_added(NotificationCategory.SYSTEM, unread.c.system),
        )
        .select_from(added.join(unread, true()))
        # Owners in the order of their first customer, as the Python path announces them.
        .order_by(added.c.customer_ids[1])
        .add_cte(dropped, bans, logs)
    )
    rows: Sequence[Any] = (await session.execute(summary)).all()
    return [OwnerSummary(*row) for row in rows]
