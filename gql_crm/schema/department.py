from __future__ import annotations

from datetime import datetime

import strawberry

from gql_crm.context import Info
from gql_crm.schema.kit import ModelType
from gql_crm.schema.user import UserType


@strawberry.type(name="Department", description="A node of the department tree.")
class DepartmentType(ModelType):
    id: int
    name: str
    parent_id: int | None
    manager_id: int | None
    sort_order: int
    created_at: datetime

    @strawberry.field
    async def parent(self, info: Info) -> DepartmentType | None:
        if self.parent_id is None:
            return None
        parent = await info.context.loaders.department.load(self.parent_id)
        return DepartmentType.from_model(parent) if parent else None

    @strawberry.field(description="Direct sub-departments, in display order.")
    async def children(self, info: Info) -> list[DepartmentType]:
        children = await info.context.loaders.department_children.load(self.id)
        return [DepartmentType.from_model(child) for child in children]

    @strawberry.field
    async def manager(self, info: Info) -> UserType | None:
        if self.manager_id is None:
            return None
        manager = await info.context.loaders.user.load(self.manager_id)
        return UserType.from_model(manager) if manager else None

    @strawberry.field(description="Current members (deactivated included, deleted not).")
    async def members(self, info: Info) -> list[UserType]:
        members = await info.context.loaders.department_members.load(self.id)
        return [UserType.from_model(member) for member in members]


@strawberry.type
class DepartmentSuccess:
    department: DepartmentType
