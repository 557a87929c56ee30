"""The pool rules (F1.4, F2.4, F2.5): placement, claims, caps, bans, transfers, shares, and
the rule that decides when a customer falls back to the public pool.

``release_forecast`` (one customer, for ``poolReleaseAt``) and ``due_for_release`` (SQL, for
the release job) state the same rule; a test holds them to each other.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.permissions import Action, Advanced, Module, basic
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.base import core_table
from gql_crm.db.models import (
    BanReason,
    Customer,
    CustomerBan,
    CustomerShare,
    MaturityOption,
    NotificationCategory,
    Pool,
    SystemSettings,
    TemporaryOrigin,
    User,
)
from gql_crm.db.release import ReleaseNotice, ReleaseTerms, release_batch
from gql_crm.db.upsert import insert_ignore
from gql_crm.services.errors import (
    BatchRefused,
    CapReached,
    ClaimBanned,
    Conflict,
    NotClaimable,
    NotFound,
)
from gql_crm.services.notification import (
    NotificationDraft,
    UnreadCounts,
    announce_newest,
    notify_each,
)
from gql_crm.services.setting import get_settings
from gql_crm.services.unit_of_work import Services, UnitOfWork
from gql_crm.subscriptions.bus import user_channel

CUSTOMER_EDIT = basic(Module.CUSTOMER, Action.EDIT)
OWNED_POOLS = (Pool.PRIVATE, Pool.TEMPORARY)
RELEASE_REASONS = {
    Pool.TEMPORARY: "no follow-up within the temporary-pool release time",
    Pool.PRIVATE: "not contacted within the private-pool no-contact time",
}


# ---- the release rule ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReleaseForecast:
    at: datetime
    reason: str


def _limit_days(settings: SystemSettings, pool: Pool) -> int:
    if pool is Pool.TEMPORARY:
        return settings.temporary_release_days
    return settings.private_no_contact_days


def release_forecast(customer: Customer, settings: SystemSettings) -> ReleaseForecast | None:
    """When the customer falls back to the public pool if nothing happens, and why.

    The clock starts when the customer entered its current pool and restarts with every
    follow-up; closed-won customers and customers without owner never fall back.
    """
    if customer.pool not in OWNED_POOLS or customer.closed_won_at is not None:
        return None
    if customer.owner_id is None or customer.deleted_at is not None:
        return None
    start = customer.pool_entered_at
    if customer.last_follow_up_at is not None and customer.last_follow_up_at > start:
        start = customer.last_follow_up_at
    return ReleaseForecast(
        at=start + timedelta(days=_limit_days(settings, customer.pool)),
        reason=RELEASE_REASONS[customer.pool],
    )


def due_for_release(settings: SystemSettings, now: datetime) -> ColumnElement[bool]:
    """SQL form of ``release_forecast(...).at <= now``: rows the release job moves."""

    def clock_started_before(cutoff: datetime) -> ColumnElement[bool]:
        # max(pool_entered_at, last_follow_up_at) <= cutoff, without dialect-specific GREATEST.
        return and_(
            Customer.pool_entered_at <= cutoff,
            or_(Customer.last_follow_up_at.is_(None), Customer.last_follow_up_at <= cutoff),
        )

    return and_(
        Customer.deleted_at.is_(None),
        Customer.closed_won_at.is_(None),
        Customer.owner_id.is_not(None),
        or_(
            and_(
                Customer.pool == Pool.TEMPORARY,
                clock_started_before(now - timedelta(days=settings.temporary_release_days)),
            ),
            and_(
                Customer.pool == Pool.PRIVATE,
                clock_started_before(now - timedelta(days=settings.private_no_contact_days)),
            ),
        ),
    )


def can_manage(principal: Principal, customer: Customer) -> bool:
    """Owner within scope; pool customers only for callers who see everyone."""
    if customer.owner_id is None:
        return principal.visible_owner_ids is None
    return principal.can_see_owner(customer.owner_id)


# ---- placement and caps ----------------------------------------------------------------


async def pool_for_maturity(session: AsyncSession, maturity_id: int | None) -> Pool:
    """The pool a customer of this maturity belongs in; no maturity means public."""
    if maturity_id is None:
        return Pool.PUBLIC
    option = await session.get(MaturityOption, maturity_id)
    if option is None:
        raise NotFound("Maturity option", maturity_id, "maturityId")
    return option.pool


async def lock_owner(uow: UnitOfWork, user_id: int) -> User:
    """Serialise pool changes per owner, so that concurrent claims cannot pass a cap together.

    On PostgreSQL this is a row lock on the user; SQLite units of work are serialised anyway.
    """
    user = await uow.session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None or user.deleted_at is not None or not user.is_active:
        raise NotFound("User", user_id, "userId")
    return user


async def check_cap(
    uow: UnitOfWork, settings: SystemSettings, owner: User, pool: Pool, adding: int = 1
) -> None:
    cap = settings.private_pool_cap if pool is Pool.PRIVATE else settings.temporary_pool_cap
    held = await uow.session.scalar(
        select(func.count()).where(
            Customer.owner_id == owner.id,
            Customer.pool == pool,
            Customer.deleted_at.is_(None),
            Customer.closed_won_at.is_(None),
        )
    )
    if (held or 0) + adding > cap:
        raise CapReached(owner.name, pool, cap, held or 0, adding)


async def active_bans(
    uow: UnitOfWork, user_id: int, customer_ids: list[int]
) -> dict[int, CustomerBan]:
    """The reclaim bans in force on ``user_id`` for these customers: the longest per customer
    (a permanent one first)."""
    bans = await uow.session.scalars(
        select(CustomerBan)
        .where(
            CustomerBan.customer_id.in_(customer_ids),
            CustomerBan.user_id == user_id,
            or_(CustomerBan.until.is_(None), CustomerBan.until > uow.now),
        )
        .order_by(CustomerBan.until.is_(None).asc(), CustomerBan.until.asc())
    )
    return {ban.customer_id: ban for ban in bans}  # the last per customer is the longest


def ban_failure(ban: CustomerBan) -> str:
    """Why a banned owner may not receive a customer, for a batch's failures."""
    if ban.until is None:
        return "the recipient may never take this customer back (reclaim ban)"
    return (
        "the recipient may not take this customer back until "
        f"{ban.until.isoformat(timespec='seconds')} (reclaim ban)"
    )


async def admit(
    uow: UnitOfWork, settings: SystemSettings, owner_id: int, arriving: dict[Pool, int]
) -> User:
    """The one gate of an owner's private and temporary pools, however customers arrive
    (entered, claimed, transferred, moved by maturity, restored): the owner is locked and
    must be active, and the caps must hold with ``arriving`` customers added per pool.
    Reclaim bans are checked by the caller with ``active_bans`` first, since each path
    reports them in its own shape."""
    owner = await lock_owner(uow, owner_id)
    for pool, count in arriving.items():
        if count and pool in OWNED_POOLS:
            await check_cap(uow, settings, owner, pool, adding=count)
    return owner


CUSTOMER_TOPIC = "customers"


def customer_event(uow: UnitOfWork, customer: Customer, kind: str, **extra: object) -> None:
    """Publish a change of the customer on the customers topic; each subscriber's
    visibility is checked when it is delivered."""
    payload = {"customerId": customer.id, "pool": str(customer.pool), "ownerId": customer.owner_id}
    payload.update(extra)
    uow.emit(CUSTOMER_TOPIC, kind, customer.id, payload)


# ---- claim -----------------------------------------------------------------------------


async def claim(uow: UnitOfWork, settings: SystemSettings, customer_id: int) -> Customer:
    """Take a public (or, with the right, special) customer into one's temporary pool."""
    principal = uow.principal
    session = uow.session
    customer = await session.scalar(
        select(Customer).where(Customer.id == customer_id, visibility.customer(principal))
    )
    if customer is None:
        raise NotFound("Customer", customer_id)
    claimable = [Pool.PUBLIC]
    if principal.has(Advanced.CLAIM_SPECIAL_POOL):
        claimable.append(Pool.SPECIAL)
    if customer.pool is Pool.SPECIAL and Pool.SPECIAL not in claimable:
        raise NotClaimable(
            "Customers in the public special pool cannot be claimed without the "
            f"'{Advanced.CLAIM_SPECIAL_POOL}' permission.",
            "id",
        )
    if ban := (await active_bans(uow, principal.user_id, [customer_id])).get(customer_id):
        raise ClaimBanned(ban.reason, ban.until)
    me = await admit(uow, settings, principal.user_id, {Pool.TEMPORARY: 1})
    from_pool = customer.pool
    claimed = await session.execute(
        update(Customer)
        .where(
            Customer.id == customer_id,
            Customer.pool.in_(claimable),
            Customer.owner_id.is_(None),
            Customer.deleted_at.is_(None),
        )
        .values(
            owner_id=me.id,
            pool=Pool.TEMPORARY,
            temporary_origin=TemporaryOrigin.CLAIMED,
            pool_entered_at=uow.now,
            updated_at=uow.now,
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("This customer has already been claimed by someone else.", "id")
    await session.refresh(customer)
    uow.log(
        "customer",
        customer.id,
        "claim",
        {"pool": [str(from_pool), str(Pool.TEMPORARY)], "ownerId": [None, me.id]},
    )
    customer_event(uow, customer, "customer.claimed")
    return customer


# ---- transfer and share ------------------------------------------------------------------


def _pool_with_owner(pool: Pool) -> Pool:
    """Where a customer lands when given to a colleague: a pool customer starts temporary."""
    return pool if pool in OWNED_POOLS else Pool.TEMPORARY


async def _drop_shares(uow: UnitOfWork, customer_id: int) -> None:
    """Shares are the owner's choice: they end when the customer changes hands."""
    await uow.session.execute(delete(CustomerShare).where(CustomerShare.customer_id == customer_id))


@dataclass(frozen=True, slots=True)
class TransferTarget:
    """Exactly one of: a colleague, or a pool (PUBLIC or SPECIAL)."""

    user_id: int | None = None
    pool: Pool | None = None


async def _editable(
    uow: UnitOfWork, customer_ids: list[int]
) -> tuple[dict[int, Customer], list[tuple[int, str]]]:
    """The customers the caller may manage (owner within scope), and why the others fail.
    A customer the caller may not see fails exactly as a missing one."""
    visible = {
        c.id: c
        for c in await uow.session.scalars(
            select(Customer)
            .where(Customer.id.in_(customer_ids), visibility.customer(uow.principal))
            .with_for_update(of=Customer)
        )
    }
    found: dict[int, Customer] = {}
    failures: list[tuple[int, str]] = []
    for customer_id in dict.fromkeys(customer_ids):
        customer = visible.get(customer_id)
        if customer is None:
            failures.append((customer_id, "does not exist or is not visible to you"))
        elif not can_manage(uow.principal, customer):
            failures.append((customer_id, "is not yours (nor a subordinate's) to manage"))
        else:
            found[customer_id] = customer
    return found, failures


async def transfer(
    uow: UnitOfWork, settings: SystemSettings, customer_ids: list[int], target: TransferTarget
) -> list[Customer]:
    """Move customers to a colleague or to the public / special pool: all or nothing."""
    if not customer_ids:
        raise BatchRefused([])
    found, failures = await _editable(uow, customer_ids)
    if target.user_id is not None:
        bans = await active_bans(uow, target.user_id, list(found))
        for cid, customer in found.items():
            if customer.owner_id == target.user_id:
                failures.append((cid, "already belongs to the recipient"))
            elif ban := bans.get(cid):
                failures.append((cid, ban_failure(ban)))
    if failures:
        raise BatchRefused(sorted(failures, key=lambda f: customer_ids.index(f[0])))
    customers = list(found.values())
    recipient: User | None = None
    if target.user_id is not None:
        # Locked only once the batch is known to be valid: a refused batch holds no lock.
        arriving = dict.fromkeys(OWNED_POOLS, 0)
        for c in customers:
            if c.closed_won_at is None:
                arriving[_pool_with_owner(c.pool)] += 1
        recipient = await admit(uow, settings, target.user_id, arriving)
    for customer in customers:
        former_owner, former_pool = customer.owner_id, customer.pool
        await _drop_shares(uow, customer.id)
        if recipient is not None:
            customer.owner_id = recipient.id
            customer.pool = _pool_with_owner(customer.pool)
            if customer.pool is Pool.TEMPORARY:
                customer.temporary_origin = TemporaryOrigin.ENTERED
        else:
            assert target.pool in (Pool.PUBLIC, Pool.SPECIAL)
            customer.owner_id = None
            customer.pool = target.pool
            customer.temporary_origin = None
        customer.pool_entered_at = uow.now
        customer.updated_at = uow.now
        changes: dict[str, list[object]] = {"ownerId": [former_owner, customer.owner_id]}
        if former_pool is not customer.pool:
            changes["pool"] = [str(former_pool), str(customer.pool)]
        uow.log("customer", customer.id, "transfer", changes)
        customer_event(uow, customer, "customer.transferred", fromOwnerId=former_owner)
        if former_owner is not None and former_owner != customer.owner_id:
            uow.emit(
                user_channel(former_owner),
                "customer.transferred",
                customer.id,
                {"customerId": customer.id, "ownerId": customer.owner_id},
            )
    return customers


async def share(
    uow: UnitOfWork, customer_ids: list[int], user_ids: list[int], shared: bool
) -> list[Customer]:
    """Share customers with colleagues (or stop sharing): all or nothing."""
    if not customer_ids or not user_ids:
        raise BatchRefused([])
    found, failures = await _editable(uow, customer_ids)
    colleagues = {
        u.id: u
        for u in await uow.session.scalars(
            select(User).where(
                User.id.in_(user_ids), User.deleted_at.is_(None), User.is_active.is_(True)
            )
        )
    }
    missing = [uid for uid in user_ids if uid not in colleagues]
    if missing:
        raise BatchRefused([(0, f"user {uid} does not exist or is deactivated") for uid in missing])
    if failures:
        raise BatchRefused(failures)
    customers = [found[cid] for cid in dict.fromkeys(customer_ids)]
    for customer in customers:
        for user_id in dict.fromkeys(user_ids):
            if user_id == customer.owner_id:
                continue
            if shared:
                result = await uow.session.execute(
                    insert_ignore(
                        uow.services.database.dialect,
                        CustomerShare,
                        {
                            "customer_id": customer.id,
                            "user_id": user_id,
                            "shared_by_id": uow.principal.user_id,
                            "created_at": uow.now,
                        },
                    )
                )
            else:
                result = await uow.session.execute(
                    delete(CustomerShare).where(
                        CustomerShare.customer_id == customer.id, CustomerShare.user_id == user_id
                    )
                )
            if result.rowcount:  # type: ignore[attr-defined]
                action = "share" if shared else "unshare"
                uow.log(
                    "customer",
                    customer.id,
                    action,
                    {"sharedWith": [None, user_id] if shared else [user_id, None]},
                )
                uow.emit(
                    user_channel(user_id),
                    f"customer.{action}d",
                    customer.id,
                    {"customerId": customer.id},
                )
    return customers


# ---- release and warnings ----------------------------------------------------------------

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
    if uow.services.database.dialect == "postgresql":
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
        in_database = services.database.dialect == "postgresql"
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
        at = row.release_warned_for + timedelta(days=_limit_days(settings, row.pool))
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
