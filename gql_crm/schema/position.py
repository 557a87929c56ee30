from __future__ import annotations

import strawberry

from gql_crm.auth.permissions import ADVANCED_DESCRIPTIONS, Action, Module
from gql_crm.db.models import DataScope, Position
from gql_crm.schema.constraints import constraint
from gql_crm.schema.kit import ModelInput, ModelType

DataScopeEnum = strawberry.enum(
    DataScope,
    name="DataScope",
    description="Whose records a position sees: own; own and subordinates' (users of the "
    "departments the user manages, recursively); own department and its sub-departments; all.",
)


@strawberry.type(name="Position", description="A named permission set with a data scope.")
class PositionType(ModelType, model=Position):
    id: int
    name: str
    description: str
    permissions: list[str]
    data_scope: DataScopeEnum  # type: ignore[valid-type]


@strawberry.type
class PositionSuccess:
    position: PositionType


@strawberry.input
class PositionInput(ModelInput, model=Position):
    name: str = strawberry.field(
        metadata=constraint(max_length=100, single_line=True, required=True)
    )
    description: str = strawberry.field(default="", metadata=constraint(max_length=500))
    permissions: list[str] = strawberry.field(default_factory=list)
    data_scope: DataScopeEnum = DataScope.OWN  # type: ignore[valid-type]


@strawberry.type(description="A module and its basic permission codes.")
class ModulePermissions:
    module: str = strawberry.field(description="The module's code (customer, order...).")
    permissions: list[str] = strawberry.field(description="`module:action` codes.")


@strawberry.type(description="A permission beyond a module's basic create/edit/delete/view.")
class AdvancedPermission:
    code: str = strawberry.field(description="The permission code.")
    description: str = strawberry.field(description="What it allows.")


@strawberry.type(description="Every permission code a position can hold.")
class PermissionCatalog:
    modules: list[ModulePermissions] = strawberry.field(
        description="Each module with the basic permission codes it has."
    )
    advanced: list[AdvancedPermission] = strawberry.field(
        description="The permissions beyond the basic ones, each explained."
    )


def permission_catalog() -> PermissionCatalog:
    return PermissionCatalog(
        modules=[
            ModulePermissions(module=str(m), permissions=[f"{m}:{a}" for a in Action])
            for m in Module
        ],
        advanced=[
            AdvancedPermission(code=str(code), description=text)
            for code, text in ADVANCED_DESCRIPTIONS.items()
        ],
    )
