"""Reading the operation log; entries are written by ``UnitOfWork.log``."""

from __future__ import annotations

from sqlalchemy import Select, select

from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.models import OperationLog
from gql_crm.db.pagination import SortKey

ORDER = (SortKey(OperationLog.id, descending=True),)


def operation_log_query(
    principal: Principal, *, entity_type: str | None, entity_id: int | None
) -> Select[OperationLog]:
    """The entries the caller may see, optionally for one record."""
    stmt = select(OperationLog).where(visibility.operation_log(principal))
    if entity_type is not None:
        stmt = stmt.where(OperationLog.entity_type == entity_type)
    if entity_id is not None:
        stmt = stmt.where(OperationLog.entity_id == entity_id)
    return stmt
