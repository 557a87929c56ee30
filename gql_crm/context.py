"""The per-request (or per-WebSocket-connection) context every resolver receives."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from gql_crm.auth.principal import Principal, Unauthenticated
from gql_crm.db.engine import SharedReads
from gql_crm.loaders import Loaders
from gql_crm.services.unit_of_work import Services, UnitOfWork


class Context:
    def __init__(
        self,
        services: Services,
        principal: Principal | None,
        request: Request | WebSocket | None = None,
        response: Response | WebSocket | None = None,
        reads: SharedReads | None = None,
    ) -> None:
        self.services = services
        self.principal = principal
        self.request = request
        self.response = response
        self.loaders = Loaders(reads or SharedReads(services.database), self.require_principal)
        # Filled by the graphql-transport-ws handler from the connection_init payload.
        self.connection_params: dict[str, Any] = {}

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated()
        return self.principal

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.services, self.principal)


Info = StrawberryInfo[Context, None]
