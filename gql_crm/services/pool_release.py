"""The release and warning jobs: customers whose clock ran out go back to the public pool,
their former owners banned, logged and notified; owners are warned ahead of that.

The rule of when a customer is due stays in ``services.pool`` (``due_for_release``), beside
the interactive rules it shares its terms with; this module only carries it out in batches.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, delete, insert, or_, select, update

from gql_crm.clock import FrozenClock
from gql_crm.db.base import core_table
from gql_crm.db.models import (
    BanReason,
    Customer,
    CustomerBan,
    CustomerShare,
    NotificationCategory,
    Pool,
    SystemSettings,
    TemporaryOrigin,
)
from gql_crm.db.release import (
    ReleaseNotice,
    ReleaseTerms,
    release_batch,
    releases_in_one_statement,
)
from gql_crm.services import webhook
from gql_crm.services.errors import InvalidInput
from gql_crm.services.notification import (
    NotificationDraft,
    UnreadCounts,
    announce_newest,
    notify_each,
)
from gql_crm.services.pool import (
    CUSTOMER_TOPIC,
    OWNED_POOLS,
    RELEASE_REASONS,
    due_for_release,
    limit_days,
)
from gql_crm.services.setting import get_settings
from gql_crm.services.unit_of_work import Services, UnitOfWork

RELEASE_BATCH = 1000
# A PostgreSQL batch is one statement, and part of its cost is paid per batch whatever its
# size (above all counting each former owner's unread notifications for the bell): 100,000
# releases took about 18 s of database CPU in batches of 1,000, 12-13 s in batches of 5,000,
# and no less in batches of 20,000, which only hold more row locks for longer.
RELEASE_BATCH_IN_DATABASE = 5000
logger = logging.getLogger("gql_crm.workers.pool")


def release_ban(
    pool: Pool, origin: TemporaryOrigin | None, settings: SystemSettings, now: datetime
) -> tuple[BanReason, datetime | None]:
    """The reclaim ban a release from ``pool`` (entered as ``origin``) puts on the owner."""
    if pool is Pool.PRIVATE:
        return BanReason.PRIVATE_NO_CONTACT, None
    if origin is TemporaryOrigin.CLAIMED:
        return BanReason.PUBLIC_CLAIMED, now + timedelta(days=settings.public_claim_ban_days)
    return BanReason.TEMPORARY_ENTERED, now + timedelta(days=settings.temporary_reclaim_ban_days)


def _local(at: datetime, settings: SystemSettings) -> str:
    return at.astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m-%d %H:%M")


def release_terms(
    pool: Pool, origin: TemporaryOrigin | None, settings: SystemSettings, now: datetime
) -> ReleaseTerms:
    """The ban a release puts on the former owner, and what their notification says."""
    reason, until = release_ban(pool, origin, settings, now)
    ban = (
        "You may never claim it again."
        if until is None
        else f"You may claim it again after {_local(until, settings)}."
    )
    return ReleaseTerms(reason, until, f"Released: {RELEASE_REASONS[pool]}. {ban}")


RELEASE_NOTICE = ReleaseNotice(
    category=NotificationCategory.PERSONAL,
    kind="customer.released",
    title_prefix="",
    title_suffix=" went back to the public pool",
    link_type="customer",
)


def release_notice(customer_id: int, name: str, terms: ReleaseTerms) -> NotificationDraft:
    """The notification a former owner gets for one released customer."""
    notice = RELEASE_NOTICE
    return NotificationDraft(
        category=notice.category,
        kind=notice.kind,
        title=f"{notice.title_prefix}{name}{notice.title_suffix}",
        body=terms.body,
        link_type=notice.link_type,
        link_id=customer_id,
    )


def released_values(now: datetime) -> dict[str, Any]:
    """What a customer looks like once back in the public pool."""
    return {
        "owner_id": None,
        "pool": Pool.PUBLIC,
        "temporary_origin": None,
        "pool_entered_at": now,
        "updated_at": now,
        "release_warned_for": None,
    }


def announce_release(uow: UnitOfWork, ids: list[int]) -> None:
    """One event for the batch: the released customers are public now, so every subscriber
    to customer events may hear of them."""
    uow.emit(
        CUSTOMER_TOPIC,
        "customer.released",
        None,
        {"customerIds": ids, "pool": str(Pool.PUBLIC), "ownerId": None},
    )
    webhook.record(
        uow, "customer.released", {"customerIds": ids, "pool": str(Pool.PUBLIC)}, None,
        public=True,
    )  # fmt: skip


async def release_due(
    uow: UnitOfWork, settings: SystemSettings, limit: int = RELEASE_BATCH, after_id: int = 0
) -> list[int]:
    """Move up to ``limit`` due customers (ids above ``after_id``) back to the public pool, in
    the caller's transaction: ban the former owners as the rules say, log each release and
    notify each former owner. Returns the released ids, ascending.

    A bounded number of statements whatever ``limit`` is. The rows are locked with SKIP
    LOCKED (PostgreSQL; SQLite serialises writers), so a concurrent run takes other customers,
    and the UPDATE re-checks the rule, so a customer is released once however many runs race.
    """
    if releases_in_one_statement(uow.services.database):
        ids = await _release_in_database(uow, settings, limit, after_id)
    else:
        ids = await _release_row_sets(uow, settings, limit, after_id)
    if ids:
        announce_release(uow, ids)
    return ids


async def _release_in_database(
    uow: UnitOfWork, settings: SystemSettings, limit: int, after_id: int
) -> list[int]:
    """PostgreSQL: one statement derives the bans, log entries and notifications from the
    UPDATE; Python only hears a summary per former owner, for the live bell."""
    now = uow.now
    owners = await release_batch(
        uow.session,
        due=due_for_release(settings, now),
        limit=limit,
        after_id=after_id,
        released_values=released_values(now),
        terms={
            (pool, origin): release_terms(pool, origin, settings, now)
            for pool in OWNED_POOLS
            for origin in (*TemporaryOrigin, None)
        },
        notice=RELEASE_NOTICE,
        actor_id=uow.actor_id,
        now=now,
    )
    announce_newest(
        uow,
        {
            o.owner_id: (
                o.notification_id,
                NotificationDraft(
                    category=RELEASE_NOTICE.category,
                    kind=RELEASE_NOTICE.kind,
                    title=o.title,
                    body=o.body,
                    link_type=RELEASE_NOTICE.link_type,
                    link_id=o.link_id,
                ),
            )
            for o in owners
        },
        {o.owner_id: UnreadCounts(o.unread_personal, o.unread_system) for o in owners},
    )
    return sorted(cid for o in owners for cid in o.customer_ids)


async def _release_row_sets(
    uow: UnitOfWork, settings: SystemSettings, limit: int, after_id: int
) -> list[int]:
    """Any dialect (SQLite serialises writers, so FOR UPDATE is moot there): one UPDATE,
    then multi-row INSERTs sent from Python."""
    session, now = uow.session, uow.now
    due = due_for_release(settings, now)
    candidates = (
        await session.execute(
            select(
                Customer.id,
                Customer.name,
                Customer.owner_id,
                Customer.pool,
                Customer.temporary_origin,
            )
            .where(due, Customer.id > after_id)
            .order_by(Customer.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not candidates:
        return []
    moved = set(
        (
            await session.execute(
                update(Customer)
                .where(Customer.id.in_([c.id for c in candidates]), due)
                .values(**released_values(now))
                .returning(Customer.id)
                .execution_options(synchronize_session=False)
            )
        ).scalars()
    )
    released = [c for c in candidates if c.id in moved]
    if not released:
        return []
    ids = [c.id for c in released]
    await session.execute(delete(CustomerShare).where(CustomerShare.customer_id.in_(ids)))
    terms = {c.id: release_terms(c.pool, c.temporary_origin, settings, now) for c in released}
    await session.execute(
        insert(core_table(CustomerBan)),
        [
            {
                "customer_id": c.id,
                "user_id": c.owner_id,
                "reason": terms[c.id].reason,
                "until": terms[c.id].until,
                "created_at": now,
            }
            for c in released
        ],
    )
    await uow.log_many(
        "customer",
        "release",
        [
            (c.id, {"pool": [str(c.pool), str(Pool.PUBLIC)], "ownerId": [c.owner_id, None]})
            for c in released
        ],
    )
    await notify_each(
        uow, [(c.owner_id, release_notice(c.id, c.name, terms[c.id])) for c in released]
    )
    return ids


BatchHook = Callable[[int, list[int]], Awaitable[None]]


async def release_pool(
    services: Services, *, batch_size: int | None = None, on_batch: BatchHook | None = None
) -> list[int]:
    """Release every due customer, one transaction per batch, at the clock's time.

    Batches are of ``batch_size`` customers, by default RELEASE_BATCH_IN_DATABASE on
    PostgreSQL and RELEASE_BATCH elsewhere (SQLite holds its one write lock per batch).

    A crash between batches leaves whole batches done and the rest untouched; the next run
    (or a concurrent one) picks the rest up. Returns the ids this run released.
    """
    if batch_size is None:
        in_database = releases_in_one_statement(services.database)
        batch_size = RELEASE_BATCH_IN_DATABASE if in_database else RELEASE_BATCH
    released: list[int] = []
    after_id = 0
    batch = 0
    while True:
        async with UnitOfWork(services, None) as uow:
            settings = await get_settings(uow.session)
            ids = await release_due(uow, settings, batch_size, after_id)
        if not ids:
            break
        batch += 1
        released += ids
        after_id = ids[-1]
        logger.info(
            "pool release: batch %d, %d released (%d so far)", batch, len(ids), len(released)
        )
        if on_batch is not None:
            await on_batch(batch, ids)
    return released


def release_cycle_start() -> ColumnElement[datetime]:
    """When the customer's current release cycle began: max(pool entry, last follow-up)."""
    return case(
        (
            and_(
                Customer.last_follow_up_at.is_not(None),
                Customer.last_follow_up_at > Customer.pool_entered_at,
            ),
            Customer.last_follow_up_at,
        ),
        else_=Customer.pool_entered_at,
    )


def due_for_warning(settings: SystemSettings, now: datetime) -> ColumnElement[bool]:
    """Customers falling back within ``release_warning_days`` whose owner has not yet been
    warned in this cycle (the marker holds the cycle start it warned about, so any restart
    of the clock - follow-up, claim, transfer, maturity move - makes a new warning due)."""
    start = release_cycle_start()
    warn = timedelta(days=settings.release_warning_days)

    def window(pool: Pool, days: int) -> ColumnElement[bool]:
        limit = timedelta(days=days)
        return and_(Customer.pool == pool, start <= now - (limit - warn), start > now - limit)

    return and_(
        Customer.deleted_at.is_(None),
        Customer.closed_won_at.is_(None),
        Customer.owner_id.is_not(None),
        or_(
            window(Pool.TEMPORARY, settings.temporary_release_days),
            window(Pool.PRIVATE, settings.private_no_contact_days),
        ),
        Customer.release_warned_for.is_distinct_from(start),
    )


async def warn_due(
    uow: UnitOfWork, settings: SystemSettings, limit: int = RELEASE_BATCH, after_id: int = 0
) -> list[int]:
    """Warn owners of up to ``limit`` customers (ids above ``after_id``) that fall back soon;
    once per customer and release cycle. Returns the warned customer ids, ascending."""
    if settings.release_warning_days <= 0:
        return []
    session, now = uow.session, uow.now
    due = due_for_warning(settings, now)
    ids = list(
        await session.scalars(
            select(Customer.id)
            .where(due, Customer.id > after_id)
            .order_by(Customer.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return []
    rows = (
        await session.execute(
            update(Customer)
            .where(Customer.id.in_(ids), due)
            .values(release_warned_for=release_cycle_start())
            .returning(
                Customer.id,
                Customer.name,
                Customer.owner_id,
                Customer.pool,
                Customer.release_warned_for,
            )
            .execution_options(synchronize_session=False)
        )
    ).all()
    warned = sorted(rows, key=lambda row: row.id)
    drafts = []
    for row in warned:
        at = row.release_warned_for + timedelta(days=limit_days(settings, row.pool))
        drafts.append(
            (
                row.owner_id,
                NotificationDraft(
                    category=NotificationCategory.PERSONAL,
                    kind="customer.release_warning",
                    title=f"{row.name} goes back to the public pool on {_local(at, settings)}",
                    body=f"Unless you act first: {RELEASE_REASONS[row.pool]}.",
                    link_type="customer",
                    link_id=row.id,
                ),
            )
        )
    await notify_each(uow, drafts)
    return [row.id for row in warned]


async def warn_pool(services: Services, *, batch_size: int = RELEASE_BATCH) -> list[int]:
    """Send every due advance warning, one transaction per batch."""
    warned: list[int] = []
    after_id = 0
    while True:
        async with UnitOfWork(services, None) as uow:
            settings = await get_settings(uow.session)
            ids = await warn_due(uow, settings, batch_size, after_id)
        if not ids:
            break
        warned += ids
        after_id = ids[-1]
        logger.info("release warnings: %d sent (%d so far)", len(ids), len(warned))
    return warned


@dataclass(frozen=True, slots=True)
class ReleaseRun:
    released: int
    warned: int
    ran_at: datetime


MAX_DAYS_AHEAD = 3650


async def run_in_server(services: Services, days_ahead: int) -> ReleaseRun:
    """One release and warning run inside the serving process, so that its live events reach
    the sockets connected to it (a run in another process reaches them only through Redis);
    ``days_ahead`` runs it as if it were that many days later (demos)."""
    if not 0 <= days_ahead <= MAX_DAYS_AHEAD:
        raise InvalidInput.single("daysAhead", f"must be between 0 and {MAX_DAYS_AHEAD}")
    later = FrozenClock(services.clock.now() + timedelta(days=days_ahead))
    at = replace(services, clock=later) if days_ahead else services
    released = await release_pool(at)
    warned = await warn_pool(at)
    return ReleaseRun(len(released), len(warned), at.clock.now())
