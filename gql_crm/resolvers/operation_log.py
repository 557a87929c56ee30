from __future__ import annotations

import strawberry

from gql_crm.resolvers.kit import connection, described
from gql_crm.schema.operation_log import OperationLogEntryType
from gql_crm.services import operation_log


@strawberry.type
class OperationLogQuery:
    operation_log = connection(
        operation_log.operation_log_query, OperationLogEntryType, operation_log.ORDER,
        description="Newest first; entries by people within your data scope, optionally for one "
        "record (entityType + entityId).",
        first=int | None, after=str | None,
        entity_type=described(str | None, "Only entries about this kind of record (customer...)."),
        entity_id=int | None,
    )  # fmt: skip
