from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.context import Info
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
    LoginSuccess | InvalidInputError | TooManyAttemptsError,
    strawberry.union("ChangePasswordResult"),
]


def _client(info: Info) -> str | None:
    """The caller's address as the server sees it (behind a proxy: as forwarded by it)."""
    request = info.context.request
    client = request.client if request is not None else None
    return client.host if client is not None else None


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
        description="Exchange a login name and password for a bearer token. Failures are "
        "counted per login name and client address: after `LOGIN_MAX_FAILURES` failures "
        "within `LOGIN_LOCKOUT_MINUTES` that client may not try that login name (even with "
        "the right password) for `LOGIN_LOCKOUT_MINUTES`; other clients are not affected. "
        "When failures from many clients together pile up, only clients that have signed in "
        "as that login name before may keep trying. Answers `TooManyAttemptsError` with "
        "`retryAt` when refused."
    )
    async def login(
        self,
        info: Info,
        login_name: Annotated[str, strawberry.argument(description="Your login name.")],
        password: Annotated[str, strawberry.argument(description="Your password.")],
    ) -> LoginResult:
        try:
            issued = await auth_service.login(
                info.context.services, login_name, password, _client(info)
            )
        except DomainError as error:
            return error_from(error)  # type: ignore[return-value]  # one of the union's errors
        return _success(issued)

    @strawberry.mutation(
        description="Change your own password. Every other session ends; use the new token. "
        "A wrong current password counts as a failed login from this client, and too many "
        "answer `TooManyAttemptsError` (nothing changes) as for `login`."
    )
    async def change_password(
        self,
        info: Info,
        current_password: Annotated[str, strawberry.argument(description="Your password now.")],
        new_password: Annotated[str, strawberry.argument(description="The password to set.")],
    ) -> ChangePasswordResult:
        principal = info.context.require_principal()
        try:
            issued = await auth_service.change_own_password(
                info.context.services, principal, current_password, new_password, _client(info)
            )
        except DomainError as error:
            return error_from(error)  # type: ignore[return-value]  # one of the union's errors
        return _success(issued)
