from __future__ import annotations

from typing import Annotated, Any

import strawberry

from gql_crm.auth.permissions import ADMIN_CREATE, ADMIN_DELETE, ADMIN_EDIT
from gql_crm.context import Info
from gql_crm.resolvers.common import mutate
from gql_crm.resolvers.kit import connection, default, described, mutation
from gql_crm.schema.common import (
    ConflictError,
    DeleteSuccess,
    InvalidInputError,
    NotFoundError,
    requires,
)
from gql_crm.schema.kit import values_of
from gql_crm.schema.user import (
    CreateUserInput,
    ServiceAccountInput,
    UserInput,
    UserSuccess,
    UserType,
)
from gql_crm.services import user as service

CreateUserResult = Annotated[
    UserSuccess | InvalidInputError | ConflictError, strawberry.union("CreateUserResult")
]
UPDATE: dict[str, Any] = {
    "failures": (InvalidInputError, NotFoundError, ConflictError),
    "union": "UpdateUserResult",
}


@strawberry.type
class UserQuery:
    @strawberry.field(description="An employee by id (deleted employees are not found).")
    async def user(self, info: Info, id: int) -> UserType | None:
        info.context.require_principal()
        user = await info.context.loaders.user.load(id)
        return UserType.from_model(user) if user and user.deleted_at is None else None

    users = connection(
        service.user_search, UserType, service.ORDER,
        description="The employee directory, by name.",
        first=int | None, after=str | None, search=str | None, department_id=int | None,
        include_inactive=default(described(bool, "Include deactivated accounts."), False),
    )  # fmt: skip


@strawberry.type
class UserMutation:
    @strawberry.mutation(
        extensions=[requires(ADMIN_CREATE)], description="Creates an employee account."
    )
    async def create_user(self, info: Info, input: CreateUserInput) -> CreateUserResult:
        # The login name and password are taken as typed: their own rules refuse spaces.
        values = values_of(input, skip=("login_name", "password"))
        return await mutate(
            info,
            lambda uow: service.create_user(uow, input.login_name, input.password, values),
            lambda user: UserSuccess(user=UserType.from_model(user)),
        )

    @strawberry.mutation(
        extensions=[requires(ADMIN_CREATE)],
        description="An account for an integration: it cannot sign in with a password and acts "
        "through API keys an administrator creates for it (`createApiKey(userId: ...)`); its "
        "department and position decide what it may do and see.",
    )
    async def create_service_account(
        self, info: Info, input: ServiceAccountInput
    ) -> CreateUserResult:
        values = values_of(input, skip=("login_name",))
        return await mutate(
            info,
            lambda uow: service.create_service_account(uow, input.login_name, values),
            lambda user: UserSuccess(user=UserType.from_model(user)),
        )

    update_user = mutation(
        service.update_user,
        UserSuccess,
        needs=ADMIN_EDIT,
        id=int,
        input=UserInput,
        **UPDATE,
        description="Changes an employee's account.",
    )
    set_user_active = mutation(
        service.set_user_active, UserSuccess, needs=ADMIN_EDIT, id=int, **UPDATE,
        active=described(bool, "false: deactivate; true: re-activate."),
        description="Deactivate (or re-activate) an account; deactivation ends its sessions.",
    )  # fmt: skip
    reset_password = mutation(
        service.reset_password, UserSuccess, needs=ADMIN_EDIT, id=int,
        new_password=described(str, "The new password."),
        **UPDATE, description="Set a new password for an employee; their sessions end.",
    )  # fmt: skip
    delete_user = mutation(
        service.delete_user, DeleteSuccess, needs=ADMIN_DELETE, id=int,
        failures=(NotFoundError, ConflictError), union="DeleteUserResult",
        description="Soft-delete an employee; the login name stays reserved.",
    )  # fmt: skip
