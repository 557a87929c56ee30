from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from gql_crm.db.engine import Database
from gql_crm.db.models import ApprovalHistory, ApprovalStep
from gql_crm.loaders.batch import grouped, in_keys


async def load_approval_steps(database: Database, ids: Sequence[int]) -> list[list[ApprovalStep]]:
    stmt = (
        select(ApprovalStep)
        .where(in_keys(ApprovalStep.approval_id, ids))
        .order_by(ApprovalStep.step)
    )
    return await grouped(database, stmt, lambda s: s.approval_id, ids)


async def load_approval_history(
    database: Database, ids: Sequence[int]
) -> list[list[ApprovalHistory]]:
    stmt = (
        select(ApprovalHistory)
        .where(in_keys(ApprovalHistory.approval_id, ids))
        .order_by(ApprovalHistory.id)
    )
    return await grouped(database, stmt, lambda h: h.approval_id, ids)
