from __future__ import annotations

import strawberry

from gql_crm.auth.permissions import ADMIN_CREATE, ADMIN_DELETE, ADMIN_EDIT
from gql_crm.context import Info
from gql_crm.resolvers.common import read
from gql_crm.resolvers.kit import mutation
from gql_crm.schema.common import ConflictError, DeleteSuccess, NotFoundError
from gql_crm.schema.position import (
    PermissionCatalog,
    PositionInput,
    PositionSuccess,
    PositionType,
    permission_catalog,
)
from gql_crm.services import position as service


@strawberry.type
class PositionQuery:
    @strawberry.field(description="Every position, with its permissions and data scope.")
    async def positions(self, info: Info) -> list[PositionType]:
        info.context.require_principal()
        positions = await read(info, service.all_positions)
        return [PositionType.from_model(p) for p in positions]

    @strawberry.field(description="One position, by id.")
    async def position(self, info: Info, id: int) -> PositionType | None:
        info.context.require_principal()
        position = await info.context.loaders.position.load(id)
        return PositionType.from_model(position) if position else None

    @strawberry.field(description="Every permission code, for drawing a permissions editor.")
    def permission_catalog(self, info: Info) -> PermissionCatalog:
        info.context.require_principal()
        return permission_catalog()


@strawberry.type
class PositionMutation:
    create_position = mutation(
        service.create_position,
        PositionSuccess,
        needs=ADMIN_CREATE,
        input=PositionInput,
        description="Creates a position.",
    )
    update_position = mutation(
        service.update_position,
        PositionSuccess,
        needs=ADMIN_EDIT,
        id=int,
        input=PositionInput,
        description="Changes a position; its holders' rights change at once.",
    )
    delete_position = mutation(
        service.delete_position, DeleteSuccess, needs=ADMIN_DELETE, id=int,
        failures=(NotFoundError, ConflictError), union="DeletePositionResult",
        description="Refused while anyone holds the position.",
    )  # fmt: skip
