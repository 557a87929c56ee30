from __future__ import annotations

from datetime import datetime

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import Department
from gql_crm.schema.kit import ModelType, related
from gql_crm.schema.user import UserType


@strawberry.type(name="Department", description="A node of the department tree.")
class DepartmentType(ModelType, model=Department):
    id: int
    name: str
    parent_id: int | None
    manager_id: int | None
    sort_order: int
    created_at: datetime

    parent = related("DepartmentType", "parent_id", "department", module=__name__)

    @strawberry.field(description="Direct sub-departments, in display order.")
    async def children(self, info: Info) -> list[DepartmentType]:
        children = await info.context.loaders.department_children.load(self.id)
        return [DepartmentType.from_model(child) for child in children]

    manager = related(UserType, "manager_id", "user")

    @strawberry.field(description="Current members (deactivated included, deleted not).")
    async def members(self, info: Info) -> list[UserType]:
        members = await info.context.loaders.department_members.load(self.id)
        return [UserType.from_model(member) for member in members]


@strawberry.type
class DepartmentSuccess:
    department: DepartmentType
