from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from gql_crm.db.engine import Database
from gql_crm.db.models import WorkLogComment
from gql_crm.loaders.batch import grouped, in_keys


async def load_work_log_comments(
    database: Database, ids: Sequence[int]
) -> list[list[WorkLogComment]]:
    stmt = (
        select(WorkLogComment)
        .where(in_keys(WorkLogComment.work_log_id, ids))
        .order_by(WorkLogComment.id)
    )
    return await grouped(database, stmt, lambda c: c.work_log_id, ids)
