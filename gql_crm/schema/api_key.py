from __future__ import annotations

from datetime import datetime

import strawberry

from gql_crm.db.models import User
from gql_crm.db.models.api_key import ApiKey
from gql_crm.schema.constraints import constraint
from gql_crm.schema.kit import ModelInput, ModelType, related
from gql_crm.schema.user import UserType


@strawberry.type(
    name="ApiKey",
    description="A credential for an integration, acting as its user with at most `permissions` "
    "(those the user still holds). Its secret is shown once, by `createApiKey`.",
)
class ApiKeyType(
    ModelType,
    model=ApiKey,
    fields="id name prefix user_id expires_at revoked_at revoked_by_id created_at created_by_id",
):
    prefix: str = strawberry.field(description="The key's public beginning, to recognise it.")
    permissions: list[str]
    last_used_at: datetime | None = strawberry.field(
        description="When the key was last used, to the minute."
    )
    user = related(UserType, "user_id", User, description="Whom the key acts as.")


@strawberry.type(description="The new key: `secret` is shown this once and never again.")
class CreateApiKeySuccess:
    api_key: ApiKeyType = strawberry.field(description="The key's record (without its secret).")
    secret: str = strawberry.field(
        description="Send it as `Authorization: Bearer <secret>` (HTTP) or as "
        '`{"token": ...}` in the WebSocket connection_init payload.'
    )


@strawberry.input
class ApiKeyInput(ModelInput, model=ApiKey, fields="name"):
    permissions: list[str] = strawberry.field(
        metadata=constraint(max_length=64, single_line=True),
        description="Codes the key's user holds (see permissionCatalog); at each request the "
        "key may use those the user still holds. `apikey:manage` cannot be given.",
    )
    expires_at: datetime | None = strawberry.field(default=None, description="Default: never.")
