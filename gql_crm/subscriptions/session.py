"""A WebSocket connection's rights as they are now, read again before each operation.

A connection authenticates once, in ``connection_init``, and may stay open for the token's
whole life (hours; an API key's may be longer). What the token stands for can change
meanwhile: the user is deactivated or deleted, signs out everywhere or changes the password
(the token version moves on), gets another position or department, or the key is revoked.
Live subscriptions already running learn of it on the user's own channel
(``subscriptions/live.py``); each new operation on the connection reloads the principal from
the token's claims instead (one small query), so it never runs with the rights the
connection started with.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.api_keys import Credentials, KeyClaims
from gql_crm.auth.principal import Principal, Unauthenticated
from gql_crm.auth.tokens import TokenClaims
from gql_crm.db.models import User
from gql_crm.db.models.api_key import ApiKey
from gql_crm.services.auth import current
from gql_crm.services.unit_of_work import Services

# The close code of a connection whose session ended: the one a refused connection_init
# gets, so that clients handle both alike (sign in again, then reconnect).
SESSION_ENDED_CLOSE_CODE = 4403


class SessionEnded(Unauthenticated):
    """The connection's token no longer stands for a user who may act."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Your session ended ({reason}): sign in again.")
        self.reason = reason


async def current_principal(services: Services, claims: Credentials) -> Principal:
    """The principal of ``claims`` (a login token's or an API key's) as it is now; raises
    ``SessionEnded`` when it may no longer act (token or key expired, key revoked, user
    deactivated or deleted, tokens revoked)."""
    if isinstance(claims, TokenClaims) and services.clock.now() >= claims.expires_at:
        raise SessionEnded("token expired")
    principal = await current(services, claims)
    if principal is None:
        async with services.database.reader() as session:
            if isinstance(claims, KeyClaims):
                raise SessionEnded(await _why_key_refused(session, services, claims))
            raise SessionEnded(await _why_refused(session, claims.user_id))
    return principal


async def _why_refused(session: AsyncSession, user_id: int) -> str:
    """Why a token's user may no longer act (read only when refusing, to say so)."""
    stmt = select(User.is_active, User.deleted_at).where(User.id == user_id)
    row = (await session.execute(stmt)).one_or_none()
    if row is None or row.deleted_at is not None:
        return "deleted"
    if not row.is_active:
        return "deactivated"
    return "signed out: the password changed or every session was ended"


async def _why_key_refused(session: AsyncSession, services: Services, claims: KeyClaims) -> str:
    """Why a key that was accepted when the connection opened is refused now."""
    stmt = select(ApiKey.user_id, ApiKey.revoked_at, ApiKey.expires_at)
    row = (await session.execute(stmt.where(ApiKey.prefix == claims.prefix))).one_or_none()
    if row is None or row.revoked_at is not None:
        return "API key revoked"
    if row.expires_at is not None and services.clock.now() >= row.expires_at:
        return "API key expired"
    return await _why_refused(session, row.user_id)
