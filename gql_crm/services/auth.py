"""Login and own password change, throttled per login name and client, and turning a token
or an API key into a Principal."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, tuple_

from gql_crm.auth.api_keys import Credentials, KeyClaims, read_credentials
from gql_crm.auth.passwords import verify_password
from gql_crm.auth.principal import Principal
from gql_crm.auth.tokens import TokenClaims, issue_token
from gql_crm.db.claims import skipping_locked
from gql_crm.db.engine import Reads
from gql_crm.db.models import LoginThrottle, User
from gql_crm.db.models.auth import CLIENT_MAX
from gql_crm.db.scopes import Vouched, load_key_holder, read_principal
from gql_crm.db.upsert import insert_or_lock
from gql_crm.services import api_key
from gql_crm.services.errors import DomainError, InvalidCredentials, InvalidInput, TooManyAttempts
from gql_crm.services.unit_of_work import Services, UnitOfWork
from gql_crm.services.user import get_live_user, set_password
from gql_crm.settings import Settings

LOGIN_NAME_MAX = 64
# Failures from all clients together, as a multiple of LOGIN_MAX_FAILURES, after which
# clients that have not signed in as the login name before are refused (see _refusal).
SPREAD_FACTOR = 10
# How long a client that signed in as a login name stays exempt from that refusal.
KNOWN_CLIENT_FOR = timedelta(days=90)
PRUNE_BATCH = 500


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


async def login(
    services: Services, login_name: str, password: str, client: str | None
) -> IssuedToken:
    """Check the password; count failures per login name and client (see ``client_key``).

    Unknown login names, wrong passwords and deactivated accounts fail alike (same error,
    same password-hash work), so the answer does not reveal which login names exist.
    """
    if not login_name or len(login_name) > LOGIN_NAME_MAX:
        raise InvalidCredentials()
    return await _counted(
        UnitOfWork(services, None),
        lambda uow: _attempt(uow, login_name, password, client_key(client)),
    )


async def _counted(
    uow: UnitOfWork, attempt: Callable[[UnitOfWork], Awaitable[IssuedToken | DomainError]]
) -> IssuedToken:
    """Run a password attempt in its own unit of work: its failure count is committed before
    the failure is reported (raising inside would roll the count back)."""
    async with uow:
        outcome = await attempt(uow)
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


async def _attempt(
    uow: UnitOfWork, login_name: str, password: str, client: str
) -> IssuedToken | DomainError:
    session, settings = uow.session, uow.services.settings
    throttle = await _throttle(uow, login_name, client)
    outcome: IssuedToken | DomainError
    if (refusal := await _refusal(uow, throttle, "loginName")) is not None:
        outcome = refusal
    else:
        user = await session.scalar(
            select(User).where(User.login_name == login_name, User.deleted_at.is_(None))
        )
        password_ok = await asyncio.to_thread(
            verify_password, user.password_hash if user else None, password
        )
        if user is not None and password_ok and user.is_active and not user.is_service_account:
            _succeeded(uow, throttle)
            outcome = _issue(settings, user, uow.now)
        else:
            _failed(uow, throttle)
            outcome = InvalidCredentials()
    await _prune(uow)
    return outcome


async def change_own_password(
    services: Services,
    principal: Principal,
    current_password: str,
    new_password: str,
    client: str | None,
) -> IssuedToken:
    """Change the caller's password; every other session ends, a fresh token is returned.

    A wrong current password counts as a failed sign-in from this client: a stolen session
    cannot guess the password any faster than a stranger at the sign-in form.
    """
    return await _counted(
        UnitOfWork(services, principal),
        lambda uow: _change(uow, current_password, new_password, client_key(client)),
    )


async def _change(
    uow: UnitOfWork, current_password: str, new_password: str, client: str
) -> IssuedToken | DomainError:
    user = await get_live_user(uow, uow.principal.user_id)
    throttle = await _throttle(uow, user.login_name, client)
    outcome: IssuedToken | DomainError
    if (refusal := await _refusal(uow, throttle, "currentPassword")) is not None:
        outcome = refusal
    elif not await asyncio.to_thread(verify_password, user.password_hash, current_password):
        _failed(uow, throttle)
        outcome = InvalidInput.single("currentPassword", "the current password is wrong")
    elif current_password == new_password:
        outcome = InvalidInput.single(
            "newPassword", "the new password must differ from the current one"
        )
    else:
        _succeeded(uow, throttle)
        await set_password(uow, user, new_password)  # a refused new password rolls all back
        uow.log("user", user.id, "change_password")
        outcome = _issue(uow.services.settings, user, uow.now)
    await _prune(uow)
    return outcome


def client_key(host: str | None) -> str:
    """Whom failures are counted against: the request's address as the server sees it.

    An IPv4 address as it is; an IPv6 address by its /64 network, since one line or host
    is given a whole /64 and could otherwise take a fresh counter per attempt. No value
    the client chooses (a header, a device name) takes part: it could only split the
    counters, and an attacker would change it after every few guesses.
    """
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:CLIENT_MAX]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _window(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.login_lockout_minutes)


async def _throttle(uow: UnitOfWork, login_name: str, client: str) -> LoginThrottle:
    """The (login name, client) row, locked until the unit of work ends."""
    session = uow.session
    await session.execute(
        insert_or_lock(
            uow.services.database.dialect,
            LoginThrottle,
            {
                "login_name": login_name,
                "client": client,
                "failures": 0,
                "window_started_at": uow.now,
                "expires_at": uow.now,
            },
        )
    )
    throttle = await session.scalar(
        select(LoginThrottle).where(
            LoginThrottle.login_name == login_name, LoginThrottle.client == client
        )
    )
    assert throttle is not None
    return throttle


async def _refusal(uow: UnitOfWork, throttle: LoginThrottle, field: str) -> TooManyAttempts | None:
    """Why this client may not try a password for this login name now, if it may not.

    A client is refused while its own lock lasts. A client that has not signed in as this
    login name lately is also refused while the failures from all clients together reach
    ``SPREAD_FACTOR`` times the per-client limit (guessing spread over many addresses); a
    client that has signed in before is never refused for what other clients did.
    """
    now, window = uow.now, _window(uow.services.settings)
    if throttle.locked_until is not None and throttle.locked_until > now:
        return TooManyAttempts(throttle.locked_until, field=field)
    if throttle.window_started_at + window <= now:
        throttle.failures = 0
        throttle.window_started_at = now
        throttle.locked_until = None
    if throttle.signed_in_at is not None and throttle.signed_in_at + KNOWN_CLIENT_FOR > now:
        return None
    # Not serialized with other clients' failures: concurrent guesses may pass the cap by
    # a few, which the per-client limit still bounds.
    total, latest = (
        await uow.session.execute(
            select(
                func.coalesce(func.sum(LoginThrottle.failures), 0),
                func.max(LoginThrottle.window_started_at),
            ).where(
                LoginThrottle.login_name == throttle.login_name,
                LoginThrottle.failures > 0,
                LoginThrottle.window_started_at > now - window,
            )
        )
    ).one()
    if total < SPREAD_FACTOR * uow.services.settings.login_max_failures:
        return None
    return TooManyAttempts(
        latest + window,
        "Too many failed logins for this login name from clients that have not signed in "
        "as it before",
        field,
    )


def _failed(uow: UnitOfWork, throttle: LoginThrottle) -> None:
    settings = uow.services.settings
    throttle.failures += 1
    if throttle.failures >= settings.login_max_failures:
        throttle.locked_until = uow.now + _window(settings)
    _expire(uow, throttle)


def _succeeded(uow: UnitOfWork, throttle: LoginThrottle) -> None:
    throttle.failures = 0
    throttle.window_started_at = uow.now
    throttle.locked_until = None
    throttle.signed_in_at = uow.now
    _expire(uow, throttle)


def _expire(uow: UnitOfWork, throttle: LoginThrottle) -> None:
    """The row is kept while its window, its lock or the client's sign-in still count."""
    ends = [throttle.window_started_at + _window(uow.services.settings)]
    if throttle.locked_until is not None:
        ends.append(throttle.locked_until)
    if throttle.signed_in_at is not None:
        ends.append(throttle.signed_in_at + KNOWN_CLIENT_FOR)
    throttle.expires_at = max(ends)


async def _prune(uow: UnitOfWork) -> None:
    """Delete a batch of rows that no longer count (runs after the caller's own row is
    written, so that row is never among them).

    Rows another transaction holds are skipped rather than waited for: two sign-ins
    pruning each other's rows would otherwise deadlock.
    """
    await uow.session.flush()  # the caller's own row with its new expiry, first
    expired = skipping_locked(
        select(LoginThrottle.login_name, LoginThrottle.client)
        .where(LoginThrottle.expires_at <= uow.now)
        .limit(PRUNE_BATCH),
        "expired",
    )
    await uow.session.execute(
        delete(LoginThrottle)
        .where(tuple_(LoginThrottle.login_name, LoginThrottle.client).in_(select(expired)))
        .execution_options(synchronize_session=False)
    )


async def authenticate(
    services: Services, token: str, reads: Reads | None = None
) -> Principal | None:
    """The principal behind a bearer token (login token or API key), or None if the token
    is not (or no longer) valid.

    ``reads``: the request's own reads, when it has them (one connection per request).
    """
    claims = read_credentials(services.settings.signing_key, token, now=services.clock.now())
    return await current(services, claims, reads) if claims is not None else None


async def vouched(reads: Reads, claims: TokenClaims) -> Vouched | None:
    """A login token's principal as it is now (with the token's expiry), and the fingerprint
    a statement can check it by; None when the user may no longer act."""
    found = await read_principal(reads, claims.user_id, claims.token_version)
    if found is None:
        return None
    principal = replace(found.principal, token_expires_at=claims.expires_at)
    return Vouched(principal, found.fingerprint)


class RecentPrincipals:
    """Principals of login tokens read a moment ago, with their fingerprints, so that a
    request answered by one statement has that statement check its principal instead of
    reading it first (``web/graphql_view.py``). Bounded: emptied when full."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._found: dict[tuple[int, int], tuple[Principal, str]] = {}

    def get(self, claims: TokenClaims) -> tuple[Principal, str] | None:
        """The principal (with this token's expiry) and its fingerprint, if kept."""
        found = self._found.get((claims.user_id, claims.token_version))
        if found is None:
            return None
        principal, fingerprint = found
        return replace(principal, token_expires_at=claims.expires_at), fingerprint

    def keep(self, claims: TokenClaims, found: Vouched | None) -> None:
        """Keep what was just read for the token; forget it when it cannot be checked."""
        key = (claims.user_id, claims.token_version)
        if found is None or found.fingerprint is None:
            self._found.pop(key, None)
            return
        if len(self._found) >= self._size:
            self._found.clear()
        self._found[key] = (found.principal, found.fingerprint)


async def current(
    services: Services, claims: Credentials, reads: Reads | None = None
) -> Principal | None:
    """The principal of checked credentials as it is now, or None when they no longer stand
    for a user who may act (for a key: also revoked or expired)."""
    source = reads or services.database
    if not isinstance(claims, KeyClaims):
        found = await vouched(source, claims)
        return None if found is None else found.principal
    async with source.reader() as session:
        holder = await load_key_holder(session, claims.prefix)
    principal = api_key.accepted(services, claims, holder)
    if principal is not None and holder is not None:
        # Once the read is over: on SQLite a write waits for open reads.
        await api_key.note_use(services, holder)
    return principal
