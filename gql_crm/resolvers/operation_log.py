from __future__ import annotations

import strawberry

from gql_crm.context import Info
from gql_crm.resolvers.common import paginate
from gql_crm.schema.common import Connection
from gql_crm.schema.operation_log import OperationLogEntryType
from gql_crm.services import operation_log


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
        stmt = operation_log.operation_log_query(
            principal, entity_type=entity_type, entity_id=entity_id
        )
        return await paginate(
            info,
            stmt,
            operation_log.ORDER,
            first=first,
            after=after,
            to_node=OperationLogEntryType.from_model,
        )
