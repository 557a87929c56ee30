from __future__ import annotations

from datetime import datetime

import strawberry

from gql_crm.loaders.user import load_users
from gql_crm.schema.constraints import constraint
from gql_crm.schema.kit import ModelType, related
from gql_crm.schema.user import UserType


@strawberry.type(
    name="ApiKey",
    description="A credential for an integration, acting as its user with at most `permissions` "
    "(those the user still holds). Its secret is shown once, by `createApiKey`.",
)
class ApiKeyType(ModelType):
    id: int
    name: str
    prefix: str = strawberry.field(description="The key's public beginning, to recognise it.")
    user_id: int
    permissions: list[str]
    expires_at: datetime | None
    last_used_at: datetime | None = strawberry.field(
        description="When the key was last used, to the minute."
    )
    revoked_at: datetime | None
    revoked_by_id: int | None
    created_at: datetime
    created_by_id: int | None
    user = related(UserType, "user_id", load_users, description="Whom the key acts as.")


@strawberry.type(description="The new key: `secret` is shown this once and never again.")
class CreateApiKeySuccess:
    api_key: ApiKeyType
    secret: str = strawberry.field(
        description="Send it as `Authorization: Bearer <secret>` (HTTP) or as "
        '`{"token": ...}` in the WebSocket connection_init payload.'
    )


@strawberry.input
class ApiKeyInput:
    name: str = strawberry.field(
        metadata=constraint(max_length=100, single_line=True, required=True),
        description="What the key is for, e.g. the integration's name.",
    )
    permissions: list[str] = strawberry.field(
        metadata=constraint(max_length=64, single_line=True),
        description="Codes the key's user holds (see permissionCatalog); at each request the "
        "key may use those the user still holds. `apikey:manage` cannot be given.",
    )
    expires_at: datetime | None = strawberry.field(default=None, description="Default: never.")
