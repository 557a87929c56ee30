from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from gql_crm.db.engine import Database
from gql_crm.db.models import User
from gql_crm.loaders.batch import by_key, grouped, in_keys


async def load_users(database: Database, ids: Sequence[int]) -> list[User | None]:
    stmt = select(User).where(in_keys(User.id, ids))
    return await by_key(database, stmt, lambda u: u.id, ids)


async def load_members(database: Database, department_ids: Sequence[int]) -> list[list[User]]:
    """Current (not deleted) members per department, by name."""
    stmt = (
        select(User)
        .where(in_keys(User.department_id, department_ids), User.deleted_at.is_(None))
        .order_by(User.name, User.id)
    )
    return await grouped(database, stmt, lambda u: u.department_id, department_ids)
