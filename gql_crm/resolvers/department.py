from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.auth.permissions import ADMIN_CREATE, ADMIN_DELETE, ADMIN_EDIT
from gql_crm.context import Info
from gql_crm.resolvers.common import read
from gql_crm.resolvers.kit import default, given, mutation
from gql_crm.schema.common import ConflictError, DeleteSuccess, NotFoundError
from gql_crm.schema.constraints import constraint
from gql_crm.schema.department import DepartmentSuccess, DepartmentType
from gql_crm.services import department as service

Name = Annotated[
    str, strawberry.argument(metadata=constraint(max_length=100, single_line=True, required=True))
]


@strawberry.type
class DepartmentQuery:
    @strawberry.field(
        description="Every department in display order; build the tree from "
        "`parentId` or walk `children` from the roots."
    )
    async def departments(self, info: Info) -> list[DepartmentType]:
        info.context.require_principal()
        departments = await read(info, service.all_departments)
        return [DepartmentType.from_model(d) for d in departments]

    @strawberry.field(description="One department, by id.")
    async def department(self, info: Info, id: int) -> DepartmentType | None:
        info.context.require_principal()
        department = await info.context.loaders.department.load(id)
        return DepartmentType.from_model(department) if department else None


@strawberry.type
class DepartmentMutation:
    create_department = mutation(
        service.create_department, DepartmentSuccess, needs=ADMIN_CREATE, name=Name,
        parent_id=int | None, manager_id=int | None, sort_order=default(int, 0),
        description="Creates a department.",
    )  # fmt: skip
    rename_department = mutation(
        service.rename_department,
        DepartmentSuccess,
        needs=ADMIN_EDIT,
        id=int,
        name=Name,
        description="Renames a department.",
    )
    move_department = mutation(
        service.move_department, DepartmentSuccess, needs=ADMIN_EDIT, id=int,
        parent_id=given(int | None),
        description="Move under another department; a null parentId makes it a top department.",
    )  # fmt: skip
    set_department_manager = mutation(
        service.set_department_manager, DepartmentSuccess, needs=ADMIN_EDIT, id=int,
        manager_id=given(int | None), description="A null managerId removes the manager.",
    )  # fmt: skip
    delete_department = mutation(
        service.delete_department, DeleteSuccess, needs=ADMIN_DELETE, id=int,
        failures=(NotFoundError, ConflictError), union="DeleteDepartmentResult",
        description="Refused while the department has members or sub-departments.",
    )  # fmt: skip
