"""The pool rules (F1.4, F2.4, F2.5): placement, claims, caps, bans, transfers, shares, and
the rule that decides when a customer falls back to the public pool (the jobs that carry it
out are in ``services.pool_release``).

``release_forecast`` (one customer, for ``poolReleaseAt``) and ``due_for_release`` (SQL, for
the release job) state the same rule; a test holds them to each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.permissions import Action, Advanced, Module, basic
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.models import (
    Customer,
    CustomerBan,
    CustomerShare,
    MaturityOption,
    Pool,
    SystemSettings,
    TemporaryOrigin,
    User,
)
from gql_crm.db.upsert import insert_ignore
from gql_crm.services import webhook
from gql_crm.services.errors import (
    BatchRefused,
    CapReached,
    ClaimBanned,
    Conflict,
    NotClaimable,
    NotFound,
)
from gql_crm.services.unit_of_work import UnitOfWork
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


def limit_days(settings: SystemSettings, pool: Pool) -> int:
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
        at=start + timedelta(days=limit_days(settings, customer.pool)),
        reason=RELEASE_REASONS[customer.pool],
    )


def due_for_release(settings: SystemSettings, now: datetime) -> ColumnElement[bool]:
    """SQL form of ``release_forecast(...).at <= now``: rows the release job moves."""
    return released_before(
        now - timedelta(days=settings.temporary_release_days),
        now - timedelta(days=settings.private_no_contact_days),
    )


def released_before(temporary_cutoff: Any, private_cutoff: Any) -> ColumnElement[bool]:
    """Owned customers whose pool's clock started by its cutoff (a time, or SQL for one):
    those ``due_for_release`` at the time the cutoffs are counted back from."""

    def clock_started_before(cutoff: Any) -> ColumnElement[bool]:
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
            and_(Customer.pool == Pool.TEMPORARY, clock_started_before(temporary_cutoff)),
            and_(Customer.pool == Pool.PRIVATE, clock_started_before(private_cutoff)),
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


def holding(pool: Pool) -> ColumnElement[bool]:
    """Customers in ``pool`` as its lists and its cap count them: closed-won customers have
    left the private and temporary pools (listed under the closed-won view instead)."""
    if pool in OWNED_POOLS:
        return and_(Customer.pool == pool, Customer.closed_won_at.is_(None))
    return Customer.pool == pool


async def check_cap(
    uow: UnitOfWork, settings: SystemSettings, owner: User, pool: Pool, adding: int = 1
) -> None:
    cap = settings.private_pool_cap if pool is Pool.PRIVATE else settings.temporary_pool_cap
    held = await uow.session.scalar(
        select(func.count()).where(
            Customer.owner_id == owner.id, holding(pool), Customer.deleted_at.is_(None)
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
# customer.updated is sent by update_customer itself, for every kind of change.
_WEBHOOK_KINDS = frozenset({"customer.created", "customer.claimed", "customer.transferred"})


def customer_event(uow: UnitOfWork, customer: Customer, kind: str, **extra: object) -> None:
    """Publish a change of the customer on the customers topic; each subscriber's
    visibility is checked when it is delivered."""
    payload = {"customerId": customer.id, "pool": str(customer.pool), "ownerId": customer.owner_id}
    payload.update(extra)
    uow.emit(CUSTOMER_TOPIC, kind, customer.id, payload)
    if kind in _WEBHOOK_KINDS:
        webhook.record(uow, kind, {**payload, "name": customer.name}, customer.owner_id)


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
