from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from gql_crm.context import Info
from gql_crm.schema.kit import ModelType
from gql_crm.schema.user import UserType


@strawberry.type(name="OperationLogEntry", description="Who did what to which record.")
class OperationLogEntryType(ModelType):
    id: int
    entity_type: str = strawberry.field(
        description="The kind of record that changed (customer, order...)."
    )
    entity_id: int
    action: str = strawberry.field(
        description="What was done to it (create, update, delete, claim...)."
    )
    changes: JSON = strawberry.field(description="field -> [from, to]")
    created_at: datetime
    actor_id: int | None

    @strawberry.field(description="Null for the system (scheduled jobs).")
    async def actor(self, info: Info) -> UserType | None:
        if self.actor_id is None:
            return None
        actor = await info.context.loaders.user.load(self.actor_id)
        return UserType.from_model(actor) if actor else None
