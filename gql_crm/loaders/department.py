from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from gql_crm.db.engine import Database
from gql_crm.db.models import Department
from gql_crm.loaders.batch import by_key, grouped, in_keys


async def load_departments(database: Database, ids: Sequence[int]) -> list[Department | None]:
    stmt = select(Department).where(in_keys(Department.id, ids))
    return await by_key(database, stmt, lambda d: d.id, ids)


async def load_children(database: Database, parent_ids: Sequence[int]) -> list[list[Department]]:
    stmt = (
        select(Department)
        .where(in_keys(Department.parent_id, parent_ids))
        .order_by(Department.sort_order, Department.name, Department.id)
    )
    return await grouped(database, stmt, lambda d: d.parent_id, parent_ids)
