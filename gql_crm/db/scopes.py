"""Data scope in SQL: whose records a principal may see, and the principal itself.

This is the one place that turns a data scope into SQL (``scope_filter``); the rules of who
sees which row, built on it, are in ``db/visibility.py``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased
from sqlalchemy.sql.compiler import SQLCompiler

from gql_crm.auth.principal import Principal
from gql_crm.db.engine import ASYNCPG_DIALECT, Reads, fetch_row, session_driver
from gql_crm.db.models import (
    DataScope,
    Department,
    Position,
    User,
)
from gql_crm.db.models.api_key import ApiKey

# Where a read that needs a session gets one: a session already open, or a request's reads.
Sessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def _given(session: AsyncSession) -> Sessions:
    return lambda: contextlib.nullcontext(session)


def scope_filter(
    principal: Principal,
    owner_column: InstrumentedAttribute[int] | InstrumentedAttribute[int | None],
) -> ColumnElement[bool]:
    """A WHERE clause keeping only rows whose owner is within the principal's scope."""
    if principal.visible_owner_ids is None:
        return true()
    return owner_column.in_(sorted(principal.visible_owner_ids))


def department_subtree(roots: Select[int], *, nested: bool = False) -> Select[int]:
    """Ids of the given departments and of all departments below them. ``nested``: written
    inside the statement it is part of, for roots correlated to that statement's rows."""
    tree = roots.cte("department_tree", recursive=True, nesting=nested)
    children = select(Department.id).join(tree, Department.parent_id == tree.c.id)
    tree = tree.union(children)
    return select(tree.c.id)


_MEMBER = aliased(User, name="member")


def _members(user_id: Any, department_id: Any, scope: Any) -> Select[int]:
    """The users of the departments a scope covers besides the user's own records: the
    departments the user manages and those below them (own and subordinates), or the user's
    department and those below it (department); none for the other scopes. Of values, or of
    the columns of a statement reading the user (correlated to it)."""
    roots = select(Department.id).where(
        or_(
            and_(scope == DataScope.OWN_AND_SUBORDINATES, Department.manager_id == user_id),
            and_(scope == DataScope.DEPARTMENT, Department.id == department_id),
        )
    )
    correlated = not isinstance(user_id, int)
    if correlated:
        roots = roots.correlate_except(Department)
    subtree = department_subtree(roots, nested=correlated)
    return select(_MEMBER.id).where(_MEMBER.department_id.in_(subtree))


# The scopes that reach past the user's own records to the members of departments.
_DEPARTMENT_SCOPES = (DataScope.OWN_AND_SUBORDINATES, DataScope.DEPARTMENT)


def _visible_owners(
    user_id: int, scope: DataScope, members: Iterable[int]
) -> frozenset[int] | None:
    return None if scope is DataScope.ALL else frozenset({user_id, *members})


async def visible_owner_ids(
    sessions: Sessions, user_id: int, department_id: int | None, scope: DataScope
) -> frozenset[int] | None:
    """Whose records the scope covers (None: everyone's); ``sessions`` gives a session when
    the members of departments must be read."""
    members: list[int] = []
    if scope in _DEPARTMENT_SCOPES:
        async with sessions() as session:
            members = list(await session.scalars(_members(user_id, department_id, scope)))
    return _visible_owners(user_id, scope, members)


# Built once: every request authenticates, and building the statement (coercing each
# clause) cost more CPU than running it.
_MAY_ACT = (User.is_active.is_(True), User.deleted_at.is_(None))
_PRINCIPAL = (
    select(User.login_name, User.department_id, Position.permissions, Position.data_scope)
    .outerjoin(Position, User.position_id == Position.id)
    .where(
        User.id == bindparam("user_id"),
        User.token_version == bindparam("token_version"),
        *_MAY_ACT,
    )
)
# The members of the departments the user's scope covers, in the statement (PostgreSQL): a
# token's principal is one statement whatever its scope.
_MEMBERS = _members(User.id, User.department_id, Position.data_scope).subquery()
_MEMBER_IDS = case(
    (
        # Not read for the other scopes (an IN list would not survive compiling once).
        or_(*(Position.data_scope == scope for scope in _DEPARTMENT_SCOPES)),
        select(func.array_agg(aggregate_order_by(_MEMBERS.c.id, _MEMBERS.c.id))).scalar_subquery(),
    )
)
# What a token's principal is built from, as one value (PostgreSQL). A request holding a
# principal built from that value a moment ago has its statement check the value
# (``principal_guard``) instead of reading the principal again first.
_FINGERPRINT = func.md5(
    cast(
        tuple_(
            User.login_name,
            User.department_id,
            Position.permissions,
            Position.data_scope,
            _MEMBER_IDS,
        ),
        Text,
    )
)
_PRINCIPAL_COMPILED = _PRINCIPAL.add_columns(_MEMBER_IDS, _FINGERPRINT).compile(
    dialect=ASYNCPG_DIALECT
)
_PRINCIPAL_SQL = str(_PRINCIPAL_COMPILED)
_GUARD = exists(
    _PRINCIPAL.with_only_columns(User.id).where(bindparam("fingerprint") == _FINGERPRINT)
).compile(dialect=ASYNCPG_DIALECT)
_NUMBER = re.compile(r"\$(\d+)\b")
# A key that is not revoked, with its owner if the owner may act (expiry is the clock's).
_KEY_HOLDER = (
    select(
        ApiKey.id,
        ApiKey.user_id,
        ApiKey.secret_digest,
        ApiKey.permissions.label("key_permissions"),
        ApiKey.expires_at,
        ApiKey.last_used_at,
        User.login_name,
        User.department_id,
        Position.permissions,
        Position.data_scope,
    )
    .join(User, ApiKey.user_id == User.id)
    .outerjoin(Position, User.position_id == Position.id)
    .where(ApiKey.prefix == bindparam("prefix"), ApiKey.revoked_at.is_(None), *_MAY_ACT)
)


# Every principal of a position has the same permission set (a few KB as a frozenset): a
# process holding thousands of WebSocket connections keeps one copy per distinct set.
_PERMISSION_SETS: dict[frozenset[str], frozenset[str]] = {}
_PERMISSION_SETS_MAX = 1024


def _shared(permissions: frozenset[str]) -> frozenset[str]:
    shared = _PERMISSION_SETS.get(permissions)
    if shared is None:
        if len(_PERMISSION_SETS) >= _PERMISSION_SETS_MAX:
            _PERMISSION_SETS.clear()  # positions changed a lot: start over, stay bounded
        shared = _PERMISSION_SETS[permissions] = permissions
    return shared


async def load_principal(
    session: AsyncSession, user_id: int, token_version: int
) -> Principal | None:
    """The principal for a token's user, or None if the user may no longer act."""
    # Columns, not entities: hydrating a User and a Position cost more than the query. On
    # PostgreSQL straight to the driver: SQLAlchemy's execution cost about as much CPU as
    # the rest of a compiled read's request.
    parameters = {"user_id": user_id, "token_version": token_version}
    if session.get_bind().dialect.name == "postgresql":
        driver = await session_driver(session)
        row = await fetch_row(driver, _PRINCIPAL_SQL, _positional(_PRINCIPAL_COMPILED, parameters))
        return _read_principal_row(user_id, row)
    row = (await session.execute(_PRINCIPAL, parameters)).one_or_none()
    if row is None:
        return None
    login_name, department_id, permissions, scope = row
    return await _principal(_given(session), user_id, login_name, department_id, permissions, scope)


@dataclass(frozen=True, slots=True)
class Vouched:
    """A token's principal, with the fingerprint of what it was built from when a statement
    can check that it still stands (``principal_guard``; on PostgreSQL)."""

    principal: Principal
    fingerprint: str | None


async def read_principal(reads: Reads, user_id: int, token_version: int) -> Vouched | None:
    """``load_principal`` for a request's reads: on PostgreSQL its statement goes to a pooled
    connection without a session (which costs more CPU than the statement)."""
    if reads.dialect != "postgresql":
        async with reads.reader() as session:
            principal = await load_principal(session, user_id, token_version)
        return None if principal is None else Vouched(principal, None)
    parameters = {"user_id": user_id, "token_version": token_version}
    async with reads.driver() as driver:
        row = await fetch_row(driver, _PRINCIPAL_SQL, _positional(_PRINCIPAL_COMPILED, parameters))
    principal = _read_principal_row(user_id, row)
    return None if principal is None else Vouched(principal, row[-1])


def principal_guard(first: int) -> str:
    """SQL true while the user of a token may act and their principal is still built from
    the same fingerprint: parameters ``$first`` and on, ``guard_values`` gives them."""
    return _NUMBER.sub(lambda match: f"${int(match[1]) + first - 1}", str(_GUARD))


def guard_values(user_id: int, token_version: int, fingerprint: str) -> tuple[Any, ...]:
    given = {"user_id": user_id, "token_version": token_version, "fingerprint": fingerprint}
    return _positional(_GUARD, given)


def _positional(compiled: SQLCompiler, given: dict[str, Any]) -> tuple[Any, ...]:
    """The values of a statement compiled once, in its $1, $2... order: those given, and
    the constants it holds (the scopes it compares with)."""
    values = compiled.construct_params(given)
    return tuple(values[name] for name in compiled.positiontup or ())


def _read_principal_row(user_id: int, row: Any) -> Principal | None:
    """A token's principal from the row of ``_PRINCIPAL_SQL`` (PostgreSQL), which holds the
    members of the departments its scope covers."""
    if row is None:
        return None
    login_name, department_id, permissions, scope, members = row[:5]  # then a fingerprint
    scope = _scope(scope)
    visible = _visible_owners(user_id, scope, members or ())
    return _built(user_id, login_name, department_id, permissions, scope, visible)


@dataclass(frozen=True, slots=True)
class KeyHolder:
    """An API key that is not revoked, and the principal it acts as (its owner's scope, the
    key's permissions within the owner's current ones, the key's expiry)."""

    principal: Principal
    secret_digest: str
    last_used_at: datetime | None


async def load_key_holder(session: AsyncSession, prefix: str) -> KeyHolder | None:
    """The key with this prefix and what it acts as; None when it is revoked or unknown, or
    its owner may no longer act."""
    row = (await session.execute(_KEY_HOLDER, {"prefix": prefix})).one_or_none()
    if row is None:
        return None
    owner_permissions = frozenset(row.permissions or ())
    principal = await _principal(
        _given(session),
        row.user_id,
        row.login_name,
        row.department_id,
        owner_permissions.intersection(row.key_permissions),
        row.data_scope,
        token_expires_at=row.expires_at,
        api_key_id=row.id,
    )
    return KeyHolder(principal, row.secret_digest, row.last_used_at)


async def _principal(
    sessions: Sessions,
    user_id: int,
    login_name: str,
    department_id: int | None,
    permissions: Iterable[str] | None,
    scope: str | None,
    *,
    token_expires_at: datetime | None = None,
    api_key_id: int | None = None,
) -> Principal:
    data_scope = _scope(scope)
    visible = await visible_owner_ids(sessions, user_id, department_id, data_scope)
    return _built(
        user_id, login_name, department_id, permissions, data_scope, visible,
        token_expires_at=token_expires_at, api_key_id=api_key_id,
    )  # fmt: skip


def _scope(value: str | None) -> DataScope:
    """A position's scope (the driver gives its text); no position: own records only."""
    return DataScope(value) if value else DataScope.OWN


def _built(
    user_id: int,
    login_name: str,
    department_id: int | None,
    permissions: Iterable[str] | None,
    scope: DataScope,
    visible_owner_ids: frozenset[int] | None,
    *,
    token_expires_at: datetime | None = None,
    api_key_id: int | None = None,
) -> Principal:
    return Principal(
        user_id=user_id,
        login_name=login_name,
        department_id=department_id,
        permissions=_shared(frozenset(permissions or ())),
        data_scope=scope,
        visible_owner_ids=visible_owner_ids,
        token_expires_at=token_expires_at,
        api_key_id=api_key_id,
    )


_ACTING = (
    select(User.login_name, User.department_id, Position.permissions, Position.data_scope)
    .outerjoin(Position, User.position_id == Position.id)
    .where(User.id == bindparam("user_id"), *_MAY_ACT)
)


async def acting_principal(session: AsyncSession, user_id: int) -> Principal | None:
    """The principal a user acts as now, without a token (work done on a user's behalf, such
    as the events their webhooks receive); None if the user may no longer act."""
    row = (await session.execute(_ACTING, {"user_id": user_id})).one_or_none()
    if row is None:
        return None
    login_name, department_id, permissions, scope = row
    return await _principal(_given(session), user_id, login_name, department_id, permissions, scope)
