from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from gql_crm.db.engine import Database
from gql_crm.db.models import Product
from gql_crm.loaders.batch import by_key, in_keys


async def load_products(database: Database, ids: Sequence[int]) -> list[Product | None]:
    stmt = select(Product).where(in_keys(Product.id, ids))
    return await by_key(database, stmt, lambda p: p.id, ids)
