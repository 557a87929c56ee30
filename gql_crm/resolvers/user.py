from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.auth.permissions import ADMIN_CREATE, ADMIN_DELETE, ADMIN_EDIT
from gql_crm.context import Info
from gql_crm.db.models import User
from gql_crm.resolvers.common import mutate, paginate
from gql_crm.schema.common import (
    ConflictError,
    Connection,
    DeleteSuccess,
    InvalidInputError,
    NotFoundError,
    deleted,
    requires,
)
from gql_crm.schema.kit import values_of
from gql_crm.schema.user import CreateUserInput, UserInput, UserSuccess, UserType
from gql_crm.services import user as user_service
from gql_crm.services.user import UserFields

CreateUserResult = Annotated[
    UserSuccess | InvalidInputError | ConflictError, strawberry.union("CreateUserResult")
]
UpdateUserResult = Annotated[
    UserSuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("UpdateUserResult"),
]
DeleteUserResult = Annotated[
    DeleteSuccess | NotFoundError | ConflictError, strawberry.union("DeleteUserResult")
]


def _success(user: User) -> UserSuccess:
    return UserSuccess(user=UserType.from_model(user))


@strawberry.type
class UserQuery:
    @strawberry.field(description="An employee by id (deleted employees are not found).")
    async def user(self, info: Info, id: int) -> UserType | None:
        info.context.require_principal()
        user = await info.context.loaders.user.load(id)
        return UserType.from_model(user) if user and user.deleted_at is None else None

    @strawberry.field(description="The employee directory, by name.")
    async def users(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
        department_id: int | None = None,
        include_inactive: bool = False,
    ) -> Connection[UserType]:
        info.context.require_principal()
        stmt = user_service.user_search(
            search=search, department_id=department_id, include_inactive=include_inactive
        )
        return await paginate(
            info, stmt, user_service.ORDER, first=first, after=after, to_node=UserType.from_model
        )


@strawberry.type
class UserMutation:
    @strawberry.mutation(extensions=[requires(ADMIN_CREATE)])
    async def create_user(self, info: Info, input: CreateUserInput) -> CreateUserResult:
        # The login name and password are taken as typed: their own rules refuse spaces.
        fields = UserFields(**values_of(input, skip=("login_name", "password")))
        return await mutate(
            info,
            lambda uow: user_service.create_user(uow, input.login_name, input.password, fields),
            _success,
        )

    @strawberry.mutation(extensions=[requires(ADMIN_EDIT)])
    async def update_user(self, info: Info, id: int, input: UserInput) -> UpdateUserResult:
        fields = UserFields(**values_of(input))
        return await mutate(info, lambda uow: user_service.update_user(uow, id, fields), _success)

    @strawberry.mutation(
        extensions=[requires(ADMIN_EDIT)],
        description="Deactivate (or re-activate) an account; deactivation ends its sessions.",
    )
    async def set_user_active(self, info: Info, id: int, active: bool) -> UpdateUserResult:
        return await mutate(
            info, lambda uow: user_service.set_user_active(uow, id, active), _success
        )

    @strawberry.mutation(
        extensions=[requires(ADMIN_EDIT)],
        description="Set a new password for an employee; their sessions end.",
    )
    async def reset_password(self, info: Info, id: int, new_password: str) -> UpdateUserResult:
        return await mutate(
            info, lambda uow: user_service.reset_password(uow, id, new_password), _success
        )

    @strawberry.mutation(
        extensions=[requires(ADMIN_DELETE)],
        description="Soft-delete an employee; the login name stays reserved.",
    )
    async def delete_user(self, info: Info, id: int) -> DeleteUserResult:
        return await mutate(info, lambda uow: user_service.delete_user(uow, id), deleted)
