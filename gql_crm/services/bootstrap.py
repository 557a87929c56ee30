"""First administrator of a fresh installation (no one exists yet who could create one)."""

from __future__ import annotations

from sqlalchemy import select

from gql_crm.auth.passwords import hash_password, password_problem
from gql_crm.auth.permissions import ALL_PERMISSIONS
from gql_crm.clock import SystemClock
from gql_crm.db.engine import Database
from gql_crm.db.models import DataScope, Position, User
from gql_crm.services.validation import login_name_problem
from gql_crm.settings import Settings

ADMIN_POSITION = "Administrator"


async def create_administrator(
    settings: Settings, login_name: str, name: str, password: str
) -> None:
    if problem := login_name_problem(login_name) or password_problem(password):
        raise ValueError(problem)
    now = SystemClock().now()
    database = Database(settings)
    try:
        async with database.writer() as session, session.begin():
            if await session.scalar(select(User.id).where(User.login_name == login_name)):
                raise ValueError(f"The login name '{login_name}' is taken.")
            position = await session.scalar(select(Position).where(Position.name == ADMIN_POSITION))
            if position is None:
                position = Position(
                    name=ADMIN_POSITION,
                    description="Every permission, all data.",
                    permissions=sorted(ALL_PERMISSIONS),
                    data_scope=DataScope.ALL,
                    created_at=now,
                )
                session.add(position)
                await session.flush()
            session.add(
                User(
                    login_name=login_name,
                    password_hash=hash_password(password),
                    name=name,
                    position_id=position.id,
                    created_at=now,
                )
            )
    finally:
        await database.dispose()
