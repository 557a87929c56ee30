"""API keys for integrations: created by a user for themself, or by an administrator for a
service account; shown once, stored as a digest, revocable.

A key acts as its owner: the owner's data scope, masks and visibility, and the key's
permissions only while the owner still holds them (re-read on every request, so a demoted or
deactivated owner takes the key down too). A key may not manage keys: a leaked one could
otherwise mint others that outlive it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from gql_crm.auth.api_keys import KeyClaims, new_key
from gql_crm.auth.permissions import ADMIN_EDIT, Advanced, unknown_permissions
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.models import Position, User
from gql_crm.db.models.api_key import ApiKey
from gql_crm.db.pagination import SortKey
from gql_crm.db.scopes import KeyHolder
from gql_crm.services.errors import Problems
from gql_crm.services.unit_of_work import Services, UnitOfWork
from gql_crm.services.user import permissions_changed

logger = logging.getLogger("gql_crm")

ENTITY = "api_key"
MANAGE = Advanced.MANAGE_API_KEYS
ORDER = (SortKey(ApiKey.created_at, True), SortKey(ApiKey.id, True))
# lastUsedAt moves at most this often per key: a key is checked on every request, and a
# write per request would cost more than the request.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class NewKey:
    api_key: ApiKey
    secret: str  # the whole key as the client sends it: returned this once, never stored


async def create_key(uow: UnitOfWork, input: dict[str, Any], user_id: int | None) -> NewKey:
    """A key for the caller, or (with admin:edit) for an active service account."""
    principal = uow.principal
    owner_id = principal.user_id if user_id is None else user_id
    problems = Problems()
    if owner_id != principal.user_id:
        principal.require(ADMIN_EDIT)
    owner = (
        await uow.session.execute(
            select(User.is_service_account, Position.permissions)
            .outerjoin(Position, User.position_id == Position.id)
            .where(User.id == owner_id, User.is_active.is_(True), User.deleted_at.is_(None))
        )
    ).one_or_none()
    if owner_id != principal.user_id and (owner is None or not owner.is_service_account):
        problems.add("userId", f"user {owner_id} is not an active service account")
    held = frozenset(owner.permissions or ()) if owner is not None else frozenset()
    codes = sorted(set(input["permissions"]))
    if unknown := unknown_permissions(codes):
        problems.add("permissions", f"unknown permission codes: {', '.join(unknown)}")
    if MANAGE in codes:
        problems.add("permissions", f"a key cannot hold '{MANAGE}': keys are managed signed in")
    lacking = [c for c in codes if c not in held and c != MANAGE and c not in unknown]
    if owner is not None and lacking:
        whose = "you do" if owner_id == principal.user_id else f"user {owner_id} does"
        problems.add("permissions", f"{whose} not hold: {', '.join(lacking)}")
    expires_at: datetime | None = input["expires_at"]
    if expires_at is not None and expires_at <= uow.now:
        problems.add("expiresAt", "must be in the future")
    problems.raise_if_any()
    secret, claims = new_key()
    row = ApiKey(
        user_id=owner_id,
        name=input["name"],
        prefix=claims.prefix,
        secret_digest=claims.digest,
        permissions=codes,
        expires_at=expires_at,
    )
    logged = {"user_id": owner_id, "name": row.name, "prefix": row.prefix, "permissions": codes}
    await uow.add(ENTITY, row, **logged, expires_at=expires_at)
    return NewKey(row, secret)


async def revoke_key(uow: UnitOfWork, id: int) -> ApiKey:
    """The key stops working at once; revoking it again changes nothing."""
    key = await uow.find(ApiKey, id, visibility.api_key(uow.principal), label="API key")
    if key.revoked_at is None:
        uow.apply(ENTITY, key, {"revoked_at": uow.now, "revoked_by_id": uow.actor_id}, "revoke")
        # Live subscriptions on the key end; subscribing again checks the key and fails.
        # (The owner's other subscriptions resubscribe too: a revocation is rare.)
        permissions_changed(uow, [key.user_id])
    return key


def key_list(principal: Principal, user_id: int | None, include_revoked: bool) -> Select[ApiKey]:
    stmt = select(ApiKey).where(visibility.api_key(principal))
    if user_id is not None:
        stmt = stmt.where(ApiKey.user_id == user_id)
    return stmt if include_revoked else stmt.where(ApiKey.revoked_at.is_(None))


def accepted(services: Services, claims: KeyClaims, holder: KeyHolder | None) -> Principal | None:
    """The principal a presented key acts as now; None when it is not (or no longer) a
    valid key: unknown, wrong secret, revoked, expired, or its owner may not act."""
    if holder is None or not claims.matches(holder.secret_digest):
        return None
    expires_at = holder.principal.token_expires_at
    if expires_at is not None and services.clock.now() >= expires_at:
        return None
    return holder.principal


async def note_use(services: Services, holder: KeyHolder) -> None:
    """Record that the key was used, unless that was done less than a minute ago (the
    condition keeps concurrent requests of several processes to one write)."""
    now = services.clock.now()
    if holder.last_used_at is not None and now - holder.last_used_at < TOUCH_EVERY:
        return
    stale = or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - TOUCH_EVERY)
    try:
        async with services.database.writer() as session, session.begin():
            await session.execute(
                update(ApiKey)
                .where(ApiKey.id == holder.principal.api_key_id, stale)
                .values(last_used_at=now)
            )
    except SQLAlchemyError:
        # A hint for people, not a condition of the request: the next use tries again.
        logger.warning("could not record the use of API key %s", holder.principal.api_key_id)
