from __future__ import annotations

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import OperationLog
from gql_crm.db.pagination import SortKey
from gql_crm.resolvers.common import paginate
from gql_crm.schema.common import Connection
from gql_crm.schema.operation_log import OperationLogEntryType
from gql_crm.services.operation_log import operation_log_query


@strawberry.type
class OperationLogQuery:
    @strawberry.field(
        description="Newest first; entries by people within your data scope, optionally for one "
        "record (entityType + entityId)."
    )
    async def operation_log(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        entity_type: str | None = None,
        entity_id: int | None = None,
    ) -> Connection[OperationLogEntryType]:
        principal = info.context.require_principal()
        stmt = operation_log_query(principal, entity_type=entity_type, entity_id=entity_id)
        return await paginate(
            info,
            stmt,
            [SortKey(OperationLog.id, descending=True)],
            first=first,
            after=after,
            to_node=OperationLogEntryType.from_model,
        )
