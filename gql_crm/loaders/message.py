from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, tuple_

from gql_crm.db.engine import Reads
from gql_crm.db.models import MessageRecipient
from gql_crm.loaders.base import Loader, LoaderSet, loader


async def load_read_at(database: Reads, keys: Sequence[tuple[int, int]]) -> list[datetime | None]:
    stmt = select(MessageRecipient).where(
        tuple_(MessageRecipient.message_id, MessageRecipient.user_id).in_(list(set(keys)))
    )
    async with database.reader() as session:
        rows = {(r.message_id, r.user_id): r.read_at for r in await session.scalars(stmt)}
    return [rows.get(key) for key in keys]


class MessageLoaders(LoaderSet):
    # Keys: (message id, recipient id).
    message_read_at: Loader[tuple[int, int], datetime | None] = loader(load_read_at)
