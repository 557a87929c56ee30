"""Login with throttling, own password change, and turning a token into a Principal."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select

from gql_crm.auth.passwords import verify_password
from gql_crm.auth.principal import Principal
from gql_crm.auth.tokens import issue_token, read_token
from gql_crm.db.engine import Reads
from gql_crm.db.models import LoginThrottle, User
from gql_crm.db.scopes import load_principal
from gql_crm.db.upsert import insert_ignore
from gql_crm.services.errors import DomainError, InvalidCredentials, InvalidInput, TooManyAttempts
from gql_crm.services.unit_of_work import Services, UnitOfWork
from gql_crm.services.user import get_live_user, set_password
from gql_crm.settings import Settings

LOGIN_NAME_MAX = 64


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime
    user: User


def _issue(settings: Settings, user: User, now: datetime) -> IssuedToken:
    token, expires_at = issue_token(
        settings.signing_key,
        user_id=user.id,
        token_version=user.token_version,
        now=now,
        ttl=timedelta(minutes=settings.token_ttl_minutes),
    )
    return IssuedToken(token, expires_at, user)


async def login(services: Services, login_name: str, password: str) -> IssuedToken:
    """Check the password; count failures per login name and lock it after too many.

    Unknown login names, wrong passwords and deactivated accounts fail alike (same error,
    same password-hash work), so the answer does not reveal which login names exist.
    """
    if not login_name or len(login_name) > LOGIN_NAME_MAX:
        raise InvalidCredentials()
    outcome: IssuedToken | DomainError
    async with UnitOfWork(services, None) as uow:
        outcome = await _attempt(uow, login_name, password)
    # The failure count is committed above; only now is the failure reported.
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


async def _attempt(uow: UnitOfWork, login_name: str, password: str) -> IssuedToken | DomainError:
    session, settings = uow.session, uow.services.settings
    await session.execute(
        insert_ignore(
            uow.services.database.dialect,
            LoginThrottle,
            {"login_name": login_name, "failures": 0, "window_started_at": uow.now},
        )
    )
    throttle = await session.scalar(
        select(LoginThrottle).where(LoginThrottle.login_name == login_name).with_for_update()
    )
    assert throttle is not None
    if throttle.locked_until is not None and throttle.locked_until > uow.now:
        return TooManyAttempts(throttle.locked_until)

    user = await session.scalar(
        select(User).where(User.login_name == login_name, User.deleted_at.is_(None))
    )
    password_ok = await asyncio.to_thread(
        verify_password, user.password_hash if user else None, password
    )
    if user is not None and password_ok and user.is_active:
        await session.delete(throttle)
        return _issue(settings, user, uow.now)

    window = timedelta(minutes=settings.login_lockout_minutes)
    if throttle.window_started_at + window <= uow.now:
        throttle.failures = 0
        throttle.window_started_at = uow.now
    throttle.failures += 1
    throttle.locked_until = None
    if throttle.failures >= settings.login_max_failures:
        throttle.locked_until = uow.now + window
    return InvalidCredentials()


async def change_own_password(
    uow: UnitOfWork, current_password: str, new_password: str
) -> IssuedToken:
    """Change the caller's password; every other session ends, a fresh token is returned."""
    user = await get_live_user(uow, uow.principal.user_id)
    if not await asyncio.to_thread(verify_password, user.password_hash, current_password):
        raise InvalidInput.single("currentPassword", "the current password is wrong")
    if current_password == new_password:
        raise InvalidInput.single(
            "newPassword", "the new password must differ from the current one"
        )
    await set_password(uow, user, new_password)
    uow.log("user", user.id, "change_password")
    await uow.session.flush()
    return _issue(uow.services.settings, user, uow.now)


async def authenticate(
    services: Services, token: str, reads: Reads | None = None
) -> Principal | None:
    """The principal behind a bearer token, or None if the token is not (or no longer) valid.

    ``reads``: the request's own reads, when it has them (one connection per request).
    """
    claims = read_token(services.settings.signing_key, token, now=services.clock.now())
    if claims is None:
        return None
    async with (reads or services.database).reader() as session:
        principal = await load_principal(session, claims.user_id, claims.token_version)
    return replace(principal, token_expires_at=claims.expires_at) if principal else None
