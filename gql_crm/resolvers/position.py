from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.auth.permissions import ADMIN_CREATE, ADMIN_DELETE, ADMIN_EDIT
from gql_crm.context import Info
from gql_crm.db.models import Position
from gql_crm.resolvers.common import mutate, read
from gql_crm.schema.common import (
    ConflictError,
    DeleteSuccess,
    InvalidInputError,
    NotFoundError,
    deleted,
    requires,
)
from gql_crm.schema.kit import values_of
from gql_crm.schema.position import (
    PermissionCatalog,
    PositionInput,
    PositionSuccess,
    PositionType,
    permission_catalog,
)
from gql_crm.services import position as position_service
from gql_crm.services.position import PositionFields

PositionResult = Annotated[
    PositionSuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("PositionResult"),
]
DeletePositionResult = Annotated[
    DeleteSuccess | NotFoundError | ConflictError, strawberry.union("DeletePositionResult")
]


def _success(position: Position) -> PositionSuccess:
    return PositionSuccess(position=PositionType.from_model(position))


@strawberry.type
class PositionQuery:
    @strawberry.field
    async def positions(self, info: Info) -> list[PositionType]:
        info.context.require_principal()
        positions = await read(info, position_service.all_positions)
        return [PositionType.from_model(p) for p in positions]

    @strawberry.field
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
    @strawberry.mutation(extensions=[requires(ADMIN_CREATE)])
    async def create_position(self, info: Info, input: PositionInput) -> PositionResult:
        fields = PositionFields(**values_of(input))
        return await mutate(
            info, lambda uow: position_service.create_position(uow, fields), _success
        )

    @strawberry.mutation(extensions=[requires(ADMIN_EDIT)])
    async def update_position(self, info: Info, id: int, input: PositionInput) -> PositionResult:
        fields = PositionFields(**values_of(input))
        return await mutate(
            info, lambda uow: position_service.update_position(uow, id, fields), _success
        )

    @strawberry.mutation(
        extensions=[requires(ADMIN_DELETE)], description="Refused while anyone holds the position."
    )
    async def delete_position(self, info: Info, id: int) -> DeletePositionResult:
        return await mutate(info, lambda uow: position_service.delete_position(uow, id), deleted)
