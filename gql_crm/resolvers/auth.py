from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.context import Info
from gql_crm.resolvers.common import mutate
from gql_crm.schema.auth import LoginSuccess
from gql_crm.schema.common import (
    InvalidCredentialsError,
    InvalidInputError,
    TooManyAttemptsError,
    error_from,
)
from gql_crm.schema.user import UserType
from gql_crm.services import auth as auth_service
from gql_crm.services.auth import IssuedToken
from gql_crm.services.errors import DomainError

LoginResult = Annotated[
    LoginSuccess | InvalidCredentialsError | TooManyAttemptsError, strawberry.union("LoginResult")
]
ChangePasswordResult = Annotated[
    LoginSuccess | InvalidInputError, strawberry.union("ChangePasswordResult")
]


def _success(issued: IssuedToken) -> LoginSuccess:
    return LoginSuccess(
        token=issued.token, expires_at=issued.expires_at, user=UserType.from_model(issued.user)
    )


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The signed-in user.")
    async def me(self, info: Info) -> UserType:
        principal = info.context.require_principal()
        user = await info.context.loaders.user.load(principal.user_id)
        assert user is not None
        return UserType.from_model(user)


@strawberry.type
class AuthMutation:
    @strawberry.mutation(
        description="Exchange a login name and password for a bearer token. Repeated failures "
        "lock the login name for a while."
    )
    async def login(self, info: Info, login_name: str, password: str) -> LoginResult:
        try:
            issued = await auth_service.login(info.context.services, login_name, password)
        except DomainError as error:
            return error_from(error)  # type: ignore[return-value]  # one of the union's errors
        return _success(issued)

    @strawberry.mutation(
        description="Change your own password. Every other session ends; use the new token."
    )
    async def change_password(
        self, info: Info, current_password: str, new_password: str
    ) -> ChangePasswordResult:
        info.context.require_principal()
        return await mutate(
            info,
            lambda uow: auth_service.change_own_password(uow, current_password, new_password),
            _success,
        )
