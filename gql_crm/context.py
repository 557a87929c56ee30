"""The per-request (or per-WebSocket-connection) context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from gql_crm.auth.api_keys import Credentials
from gql_crm.auth.principal import Principal, Unauthenticated
from gql_crm.auth.tokens import TokenClaims
from gql_crm.db.engine import SharedReads
from gql_crm.loaders import Loaders
from gql_crm.services.unit_of_work import Services, UnitOfWork


@dataclass(frozen=True, slots=True)
class Unchecked:
    """A login token whose principal was taken as read a moment ago, not read again yet,
    and the fingerprint it was built from."""

    claims: TokenClaims
    fingerprint: str


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
        # Set when ``principal`` is a recent one of the token's, not read for this request:
        # the request checks it before relying on it (``web/graphql_view.py``).
        self.unchecked: Unchecked | None = None
        self.request = request
        self.response = response
        self._reads = reads
        self._loaders: Loaders | None = None
        # Filled by the graphql-transport-ws handler from the connection_init payload.
        self.connection_params: dict[str, Any] = {}
        # A WebSocket connection's token or API key: each operation reloads the principal
        # from it.
        self.token_claims: Credentials | None = None
        # Set when a live subscription learns that the connection's session ended (user
        # deactivated, tokens revoked, token expired): the connection is then closed.
        self.session_ended: Unauthenticated | None = None

    @property
    def loaders(self) -> Loaders:
        # Built when first used: a live event delivered by projection never touches them, and
        # thousands of subscribers each holding a fresh set per event kept the collector busy.
        if self._loaders is None:
            reads, self._reads = self._reads, None
            self._loaders = Loaders(
                reads or SharedReads(self.services.database), self.require_principal
            )
        return self._loaders

    def renew_loaders(self) -> None:
        """Forget what the loaders cached: the next use reads afresh (a new live event)."""
        self._loaders = None
        self._reads = None

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated()
        return self.principal

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.services, self.principal)


Info = StrawberryInfo[Context, None]
