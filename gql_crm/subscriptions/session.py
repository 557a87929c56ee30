"""A WebSocket connection's rights as they are now, read again before each operation.

A connection authenticates once, in ``connection_init``, and may stay open for the token's
whole life (hours). What the token stands for can change meanwhile: the user is deactivated
or deleted, signs out everywhere or changes the password (the token version moves on), or
gets another position or department. Live subscriptions already running learn of it on the
user's own channel (``subscriptions/live.py``); each new operation on the connection reloads
the principal from the token's claims instead (one small query), so it never runs with the
rights the connection started with.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.principal import Principal, Unauthenticated
from gql_crm.auth.tokens import TokenClaims
from gql_crm.db.models import User
from gql_crm.db.scopes import load_principal
from gql_crm.services.unit_of_work import Services

# The close code of a connection whose session ended: the one a refused connection_init
# gets, so that clients handle both alike (sign in again, then reconnect).
SESSION_ENDED_CLOSE_CODE = 4403


class SessionEnded(Unauthenticated):
    """The connection's token no longer stands for a user who may act."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Your session ended ({reason}): sign in again.")
        self.reason = reason


async def current_principal(services: Services, claims: TokenClaims) -> Principal:
    """The principal of ``claims`` as it is now; raises ``SessionEnded`` when it may no
    longer act (token expired, user deactivated or deleted, tokens revoked)."""
    if services.clock.now() >= claims.expires_at:
        raise SessionEnded("token expired")
    async with services.database.reader() as session:
        principal = await load_principal(session, claims.user_id, claims.token_version)
        if principal is None:
            raise SessionEnded(await _why_refused(session, claims.user_id))
    return replace(principal, token_expires_at=claims.expires_at)


async def _why_refused(session: AsyncSession, user_id: int) -> str:
    """Why a token's user may no longer act (read only when refusing, to say so)."""
    stmt = select(User.is_active, User.deleted_at).where(User.id == user_id)
    row = (await session.execute(stmt)).one_or_none()
    if row is None or row.deleted_at is not None:
        return "deleted"
    if not row.is_active:
        return "deactivated"
    return "signed out: the password changed or every session was ended"
