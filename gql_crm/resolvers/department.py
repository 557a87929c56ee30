from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.auth.permissions import ADMIN_CREATE, ADMIN_DELETE, ADMIN_EDIT
from gql_crm.context import Info
from gql_crm.db.models import Department
from gql_crm.resolvers.common import mutate, read
from gql_crm.schema.common import (
    ConflictError,
    DeleteSuccess,
    InvalidInputError,
    NotFoundError,
    deleted,
    requires,
)
from gql_crm.schema.constraints import constraint
from gql_crm.schema.department import DepartmentSuccess, DepartmentType
from gql_crm.services import department as department_service

Name = Annotated[
    str, strawberry.argument(metadata=constraint(max_length=100, single_line=True, required=True))
]
DepartmentResult = Annotated[
    DepartmentSuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("DepartmentResult"),
]
DeleteDepartmentResult = Annotated[
    DeleteSuccess | NotFoundError | ConflictError, strawberry.union("DeleteDepartmentResult")
]


def _success(department: Department) -> DepartmentSuccess:
    return DepartmentSuccess(department=DepartmentType.from_model(department))


@strawberry.type
class DepartmentQuery:
    @strawberry.field(
        description="Every department in display order; build the tree from "
        "`parentId` or walk `children` from the roots."
    )
    async def departments(self, info: Info) -> list[DepartmentType]:
        info.context.require_principal()
        departments = await read(info, department_service.all_departments)
        return [DepartmentType.from_model(d) for d in departments]

    @strawberry.field
    async def department(self, info: Info, id: int) -> DepartmentType | None:
        info.context.require_principal()
        department = await info.context.loaders.department.load(id)
        return DepartmentType.from_model(department) if department else None


@strawberry.type
class DepartmentMutation:
    @strawberry.mutation(extensions=[requires(ADMIN_CREATE)])
    async def create_department(
        self,
        info: Info,
        name: Name,
        parent_id: int | None = None,
        manager_id: int | None = None,
        sort_order: int = 0,
    ) -> DepartmentResult:
        return await mutate(
            info,
            lambda uow: department_service.create_department(
                uow, name=name, parent_id=parent_id, manager_id=manager_id, sort_order=sort_order
            ),
            _success,
        )

    @strawberry.mutation(extensions=[requires(ADMIN_EDIT)])
    async def rename_department(self, info: Info, id: int, name: Name) -> DepartmentResult:
        return await mutate(
            info, lambda uow: department_service.rename_department(uow, id, name), _success
        )

    @strawberry.mutation(
        extensions=[requires(ADMIN_EDIT)],
        description="Move under another department; a null parentId makes it a top department.",
    )
    async def move_department(self, info: Info, id: int, parent_id: int | None) -> DepartmentResult:
        return await mutate(
            info, lambda uow: department_service.move_department(uow, id, parent_id), _success
        )

    @strawberry.mutation(
        extensions=[requires(ADMIN_EDIT)], description="A null managerId removes the manager."
    )
    async def set_department_manager(
        self, info: Info, id: int, manager_id: int | None
    ) -> DepartmentResult:
        return await mutate(
            info,
            lambda uow: department_service.set_department_manager(uow, id, manager_id),
            _success,
        )

    @strawberry.mutation(
        extensions=[requires(ADMIN_DELETE)],
        description="Refused while the department has members or sub-departments.",
    )
    async def delete_department(self, info: Info, id: int) -> DeleteDepartmentResult:
        return await mutate(
            info, lambda uow: department_service.delete_department(uow, id), deleted
        )
