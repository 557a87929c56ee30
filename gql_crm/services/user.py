"""Employee accounts (F1.2): create, edit, deactivate, soft-delete, reset passwords; and
service accounts for integrations."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select

from gql_crm.auth.passwords import hash_password, password_problem
from gql_crm.auth.principal import Principal
from gql_crm.db.models import Department, Position, User
from gql_crm.db.pagination import SortKey
from gql_crm.services.errors import Conflict, InvalidInput, Problems
from gql_crm.services.unit_of_work import UnitOfWork
from gql_crm.services.validation import (
    email_problem,
    login_name_problem,
    phone_problem,
)
from gql_crm.subscriptions.bus import user_channel

ENTITY = "user"
ORDER = (SortKey(User.name), SortKey(User.id))


@dataclass(frozen=True, slots=True)
class UserFields:
    name: str
    department_id: int | None
    position_id: int | None
    phone: str | None
    email: str | None


async def _check_fields(uow: UnitOfWork, fields: UserFields, problems: Problems) -> None:
    if p := phone_problem(fields.phone):
        problems.add("phone", p)
    if p := email_problem(fields.email):
        problems.add("email", p)
    if fields.department_id is not None and not await uow.session.get(
        Department, fields.department_id
    ):
        problems.add("departmentId", f"department {fields.department_id} does not exist")
    if fields.position_id is not None and not await uow.session.get(Position, fields.position_id):
        problems.add("positionId", f"position {fields.position_id} does not exist")


def _values(fields: UserFields) -> dict[str, object]:
    return {
        "name": fields.name.strip(),
        "department_id": fields.department_id,
        "position_id": fields.position_id,
        "phone": fields.phone or None,
        "email": fields.email or None,
    }


async def get_live_user(uow: UnitOfWork, user_id: int) -> User:
    """A user that is not deleted (active or not), locked."""
    return await uow.find(User, user_id, User.deleted_at.is_(None))


async def create_user(
    uow: UnitOfWork, login_name: str, password: str, input: dict[str, Any]
) -> User:
    return await _create(uow, login_name, password, input)


async def create_service_account(uow: UnitOfWork, login_name: str, input: dict[str, Any]) -> User:
    """An account for an integration: it has a password no one knows (so signing in fails
    as for a wrong password) and acts only through API keys an administrator creates for it;
    its department and position decide its rights and data scope, as anyone's."""
    return await _create(uow, login_name, None, input)


async def _create(
    uow: UnitOfWork, login_name: str, password: str | None, input: dict[str, Any]
) -> User:
    fields = UserFields(**input)
    problems = Problems()
    if p := login_name_problem(login_name):
        problems.add("loginName", p)
    if password is not None and (p := password_problem(password)):
        problems.add("password", p)
    await _check_fields(uow, fields, problems)
    problems.raise_if_any()
    if await uow.session.scalar(select(User.id).where(User.login_name == login_name)):
        raise Conflict(f"The login name '{login_name}' is taken.", "loginName")
    service_account = password is None
    # A service account's password is random and forgotten: a real hash, so that a sign-in
    # attempt costs and answers exactly as a wrong password does.
    secret = secrets.token_urlsafe(32) if password is None else password
    password_hash = await asyncio.to_thread(hash_password, secret)
    user = User(
        login_name=login_name,
        password_hash=password_hash,
        is_service_account=service_account,
        **_values(fields),
    )
    logged = {"is_service_account": True} if service_account else {}
    return await uow.add(ENTITY, user, login_name=login_name, **logged)


async def update_user(uow: UnitOfWork, id: int, input: dict[str, Any]) -> User:
    fields = UserFields(**input)
    user = await get_live_user(uow, id)
    problems = Problems()
    await _check_fields(uow, fields, problems)
    problems.raise_if_any()
    changes = uow.apply(ENTITY, user, _values(fields))
    if {"departmentId", "positionId"} & changes.keys():
        permissions_changed(uow, [user.id])
    return user


def permissions_changed(uow: UnitOfWork, user_ids: list[int]) -> None:
    """Live subscriptions of these users end so that they re-subscribe with their new
    permissions and data scope (their tokens stay valid)."""
    for user_id in dict.fromkeys(user_ids):
        uow.emit(user_channel(user_id), "session.changed", user_id, {})


def _revoke_tokens(uow: UnitOfWork, user: User, reason: str) -> None:
    user.token_version += 1
    uow.emit(user_channel(user.id), "session.revoked", user.id, {"reason": reason})


async def set_user_active(uow: UnitOfWork, id: int, active: bool) -> User:
    user = await get_live_user(uow, id)
    if not active and user.id == uow.principal.user_id:
        raise Conflict("You cannot deactivate your own account.", "id")
    action = "activate" if active else "deactivate"
    if uow.apply(ENTITY, user, {"is_active": active}, action) and not active:
        _revoke_tokens(uow, user, "deactivated")
    return user


async def delete_user(uow: UnitOfWork, id: int) -> int:
    """Soft delete: the row stays for history (and keeps its login name reserved)."""
    user = await get_live_user(uow, id)
    if user.id == uow.principal.user_id:
        raise Conflict("You cannot delete your own account.", "id")
    user.deleted_at = uow.now
    user.is_active = False
    managed = await uow.session.scalars(select(Department).where(Department.manager_id == user.id))
    for department in managed:
        uow.log("department", department.id, "set_manager", {"managerId": [user.id, None]})
        department.manager_id = None
    _revoke_tokens(uow, user, "deleted")
    uow.log(ENTITY, user.id, "delete", {"deletedAt": [None, uow.now.isoformat()]})
    return user.id


async def reset_password(uow: UnitOfWork, id: int, new_password: str) -> User:
    user = await get_live_user(uow, id)
    if user.is_service_account:
        raise Conflict(f"User {id} is a service account: it signs in with API keys only.", "id")
    await set_password(uow, user, new_password)
    uow.log(ENTITY, user.id, "reset_password")
    return user


async def set_password(uow: UnitOfWork, user: User, new_password: str) -> None:
    """Store a new password hash and end every session of the user."""
    if p := password_problem(new_password):
        raise InvalidInput.single("newPassword", p)
    user.password_hash = await asyncio.to_thread(hash_password, new_password)
    _revoke_tokens(uow, user, "password changed")


def user_search(
    principal: Principal, *, search: str | None, department_id: int | None, include_inactive: bool
) -> Select[User]:
    """Colleagues for directories and pickers, the same for every signed-in user; deleted
    users never appear."""
    stmt = select(User).where(User.deleted_at.is_(None))
    if not include_inactive:
        stmt = stmt.where(User.is_active.is_(True))
    if department_id is not None:
        stmt = stmt.where(User.department_id == department_id)
    if term := (search or "").strip():
        stmt = stmt.where(
            or_(
                User.name.icontains(term, autoescape=True),
                User.login_name.icontains(term, autoescape=True),
            )
        )
    return stmt


async def assignee_problem(uow: UnitOfWork, user_id: int | None) -> str | None:
    """Why ``user_id`` may not be made responsible for a record (owner, assignee, handler):
    it must be an active user within the caller's data scope. None stands for the caller."""
    if user_id is None:
        return None
    user = await uow.session.get(User, user_id)
    if user is None or user.deleted_at is not None or not user.is_active:
        return f"user {user_id} is not an active user"
    if not uow.principal.can_see_owner(user_id):
        return "must be you or someone within your data scope"
    return None
