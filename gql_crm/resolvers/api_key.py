from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.context import Info
from gql_crm.resolvers.common import mutate
from gql_crm.resolvers.kit import connection, default, described, mutation, success
from gql_crm.schema import api_key as schema
from gql_crm.schema.common import ConflictError, InvalidInputError, NotFoundError, requires
from gql_crm.schema.kit import values_of
from gql_crm.services import api_key as service
from gql_crm.services.api_key import MANAGE, NewKey

CreateApiKeyResult = Annotated[
    schema.CreateApiKeySuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("CreateApiKeyResult"),
]


def _created(new: NewKey) -> schema.CreateApiKeySuccess:
    return schema.CreateApiKeySuccess(
        api_key=schema.ApiKeyType.from_model(new.api_key), secret=new.secret
    )


@strawberry.type
class ApiKeyQuery:
    api_keys = connection(
        service.key_list, schema.ApiKeyType, service.ORDER, needs=MANAGE,
        user_id=int | None,
        include_revoked=default(described(bool, "Include revoked keys."), False),
        description="Your API keys, newest first (with admin:edit: anyone's; `userId` "
        "narrows). Secrets are never shown.",
    )  # fmt: skip


@strawberry.type
class ApiKeyMutation:
    @strawberry.mutation(
        extensions=[requires(MANAGE)],
        description="A new API key for you or, with admin:edit, for a service account "
        "(`userId`). The answer holds its secret: store it now, it is never shown again.",
    )
    async def create_api_key(
        self, info: Info, input: schema.ApiKeyInput, user_id: int | None = None
    ) -> CreateApiKeyResult:
        values = values_of(input)
        return await mutate(info, lambda uow: service.create_key(uow, values, user_id), _created)

    revoke_api_key = mutation(
        service.revoke_key, success(schema.ApiKeyType, "api_key"), needs=MANAGE, id=int,
        description="The key stops working at once (yours; with admin:edit, anyone's).",
    )  # fmt: skip
