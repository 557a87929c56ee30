"""Departments (F1.1): a tree with managers; create, rename, move, delete."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.db.models import Department, User
from gql_crm.db.scopes import department_subtree
from gql_crm.services.errors import Conflict, InvalidInput, NotFound
from gql_crm.services.unit_of_work import UnitOfWork
from gql_crm.services.user import permissions_changed

ENTITY = "department"


async def all_departments(session: AsyncSession) -> list[Department]:
    stmt = select(Department).order_by(Department.sort_order, Department.name, Department.id)
    return list((await session.scalars(stmt)).all())


async def _parent(uow: UnitOfWork, department_id: int) -> Department:
    department = await uow.session.get(Department, department_id)
    if department is None:
        raise NotFound("Department", department_id, "parentId")
    return department


async def _active_user(uow: UnitOfWork, user_id: int, field: str) -> User:
    user = await uow.session.get(User, user_id)
    if user is None or user.deleted_at is not None or not user.is_active:
        raise InvalidInput.single(field, f"user {user_id} does not exist or is deactivated")
    return user


async def create_department(
    uow: UnitOfWork, *, name: str, parent_id: int | None, manager_id: int | None, sort_order: int
) -> Department:
    if parent_id is not None:
        await _parent(uow, parent_id)
    if manager_id is not None:
        await _active_user(uow, manager_id, "managerId")
    department = Department(
        name=name.strip(), parent_id=parent_id, manager_id=manager_id, sort_order=sort_order
    )
    return await uow.add(ENTITY, department, name=department.name, parent_id=parent_id)


async def rename_department(uow: UnitOfWork, id: int, name: str) -> Department:
    department = await uow.find(Department, id)
    uow.apply(ENTITY, department, {"name": name.strip()}, "rename")
    return department


async def move_department(uow: UnitOfWork, id: int, parent_id: int | None) -> Department:
    """Put a department under another one (or at the top when ``parent_id`` is None)."""
    department = await uow.find(Department, id)
    if parent_id is not None:
        await _parent(uow, parent_id)
        if parent_id in await _subtree_ids(uow, id):
            raise Conflict(
                "A department cannot be moved under itself or one of its own sub-departments.",
                "parentId",
            )
    uow.apply(ENTITY, department, {"parent_id": parent_id}, "move")
    return department


async def set_department_manager(uow: UnitOfWork, id: int, manager_id: int | None) -> Department:
    department = await uow.find(Department, id)
    if manager_id is not None:
        await _active_user(uow, manager_id, "managerId")
    before = department.manager_id
    if uow.apply(ENTITY, department, {"manager_id": manager_id}, "set_manager"):
        permissions_changed(uow, [m for m in (before, manager_id) if m is not None])
    return department


async def delete_department(uow: UnitOfWork, id: int) -> int:
    department = await uow.find(Department, id)
    session = uow.session
    children = await session.scalar(select(func.count()).where(Department.parent_id == id))
    members = await session.scalar(
        select(func.count()).where(User.department_id == id, User.deleted_at.is_(None))
    )
    if children or members:
        reasons = []
        if children:
            reasons.append(f"{children} sub-department(s)")
        if members:
            reasons.append(f"{members} member(s)")
        raise Conflict(
            f"Department '{department.name}' still has {' and '.join(reasons)}; "
            "move or remove them first.",
            "id",
        )
    # Deleted users keep their department for history; detach them so the row can go.
    await session.execute(
        update(User)
        .where(User.department_id == id, User.deleted_at.is_not(None))
        .values(department_id=None)
    )
    await session.delete(department)
    uow.log(ENTITY, id, "delete", {"name": [department.name, None]})
    return id


async def _subtree_ids(uow: UnitOfWork, department_id: int) -> set[int]:
    roots = select(Department.id).where(Department.id == department_id)
    return set((await uow.session.scalars(department_subtree(roots))).all())
