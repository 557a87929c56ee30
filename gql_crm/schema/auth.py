from __future__ import annotations

from datetime import datetime

import strawberry

from gql_crm.schema.user import UserType


@strawberry.type(
    description="Send `token` as `Authorization: Bearer <token>` (HTTP) or as "
    '`{"token": ...}` in the WebSocket connection_init payload.'
)
class LoginSuccess:
    token: str = strawberry.field(
        description="The session token: send it as `Authorization: Bearer <token>`."
    )
    expires_at: datetime = strawberry.field(description="When the token stops working.")
    user: UserType = strawberry.field(description="Who signed in.")
