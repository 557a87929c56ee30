"""Positions (F1.3): named permission sets with a data scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.permissions import (
    ALL_PERMISSIONS,
    unknown_permissions,
)
from gql_crm.db.models import DataScope, Position, User
from gql_crm.services.errors import Conflict, InvalidInput
from gql_crm.services.unit_of_work import UnitOfWork
from gql_crm.services.user import permissions_changed

ENTITY = "position"


@dataclass(frozen=True, slots=True)
class PositionFields:
    name: str
    description: str
    permissions: Sequence[str]
    data_scope: DataScope


async def _check(uow: UnitOfWork, fields: PositionFields, position_id: int | None) -> None:
    if unknown := unknown_permissions(list(fields.permissions)):
        raise InvalidInput.single(
            "permissions",
            f"unknown permission code(s): {', '.join(unknown)} "
            f"(see the permissionCatalog query; {len(ALL_PERMISSIONS)} codes exist)",
        )
    same_name = select(Position.id).where(Position.name == fields.name.strip())
    if position_id is not None:
        same_name = same_name.where(Position.id != position_id)
    if await uow.session.scalar(same_name) is not None:
        raise Conflict(f"A position named '{fields.name.strip()}' already exists.", "name")


def _values(fields: PositionFields) -> dict[str, object]:
    return {
        "name": fields.name.strip(),
        "description": fields.description.strip(),
        "permissions": sorted(set(fields.permissions)),
        "data_scope": fields.data_scope,
    }


async def create_position(uow: UnitOfWork, input: dict[str, Any]) -> Position:
    fields = PositionFields(**input)
    await _check(uow, fields, None)
    position = Position(**_values(fields))
    return await uow.add(ENTITY, position, name=position.name)


async def update_position(uow: UnitOfWork, id: int, input: dict[str, Any]) -> Position:
    fields = PositionFields(**input)
    position = await uow.find(Position, id)
    await _check(uow, fields, id)
    if uow.apply(ENTITY, position, _values(fields)):
        holders = await uow.session.scalars(
            select(User.id).where(User.position_id == position.id, User.deleted_at.is_(None))
        )
        permissions_changed(uow, list(holders))
    return position


async def delete_position(uow: UnitOfWork, id: int) -> int:
    position = await uow.find(Position, id)
    holders = await uow.session.scalar(
        select(func.count()).where(User.position_id == id, User.deleted_at.is_(None))
    )
    if holders:
        raise Conflict(
            f"Position '{position.name}' is held by {holders} user(s); give them another first.",
            "id",
        )
    # Deleted users keep their position for history; detach them so the row can go.
    await uow.session.execute(
        update(User)
        .where(User.position_id == id, User.deleted_at.is_not(None))
        .values(position_id=None)
    )
    await uow.session.delete(position)
    uow.log(ENTITY, id, "delete", {"name": [position.name, None]})
    return id


async def all_positions(session: AsyncSession) -> list[Position]:
    return list(await session.scalars(select(Position).order_by(Position.name)))
