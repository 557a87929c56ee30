"""The GraphQL endpoint: Strawberry's ASGI view with our authentication, compiled reads
and JSON encoding."""

from __future__ import annotations

import contextlib

import orjson
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema import Schema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from gql_crm.auth.api_keys import read_credentials
from gql_crm.auth.tokens import bearer_token
from gql_crm.context import Context
from gql_crm.db.engine import SharedReads
from gql_crm.direct.compiled_planner import Planner
from gql_crm.direct.compiled_sql import Fallback
from gql_crm.direct.selections import Documents
from gql_crm.direct.subscriptions import DirectPlanner
from gql_crm.observability.metrics import observation
from gql_crm.schema import build_schema, validation_limits
from gql_crm.schema.errors import ErrorPolicy
from gql_crm.services.auth import authenticate
from gql_crm.services.unit_of_work import Services
from gql_crm.settings import Settings
from gql_crm.subscriptions.live import FEEDS
from gql_crm.subscriptions.long_lived import LongLivedConnections
from gql_crm.subscriptions.session import SessionEnded, current_principal
from gql_crm.web import graphiql
from gql_crm.web.rate_limits import rate_limits_of
from gql_crm.web.uploads import check_multipart, require_uploader
from gql_crm.web.websocket import LiveTransportWSHandler


class CrmGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our authentication and JSON encoding."""

    graphql_transport_ws_handler_class = LiveTransportWSHandler

    def __init__(self, settings: Settings) -> None:
        limits = validation_limits(settings)
        schema = build_schema(settings, limits)
        # Parsed and validated once for the paths that answer without graphql-core's executor.
        documents = Documents(
            schema._schema, validation_rules=limits, max_tokens=settings.max_tokens
        )
        self.planner = DirectPlanner(documents, argument_names=_feed_arguments(schema))
        self.error_policy = ErrorPolicy(debug=settings.debug)
        self.connections = LongLivedConnections()
        self.compiled = (
            Planner(documents) if settings.compiled_reads and not settings.is_sqlite else None
        )
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
            allowed_origins=settings.allowed_origins,
            multipart_uploads_enabled=True,
        )

    async def run(  # type: ignore[override]
        self,
        request: Request | WebSocket,
        context: Context | UnsetType = UNSET,
        root_value: UnsetType | None = UNSET,
    ) -> Response | WebSocket:
        if (
            self.compiled is not None
            and isinstance(request, Request)
            and request.method == "POST"
            and isinstance(context, UnsetType)
            and request.headers.get("content-type", "").startswith("application/json")
        ):
            return await self._run_compiled(self.compiled, request)
        return await super().run(request, context, root_value)  # type: ignore[arg-type]

    async def _run_compiled(self, planner: Planner, request: Request) -> Response:
        """A query answered by one SQL statement (``direct/compiled_planner.py``) where it
        can be; everything else, errors included, runs through Strawberry as usual."""
        planned = None
        with contextlib.suppress(orjson.JSONDecodeError):
            planned = planner.prepare(orjson.loads(await request.body()))
        if planned is None:
            return await super().run(request)
        services: Services = request.app.state.services
        # Authenticated once for both paths. Its response object is not the one Strawberry
        # sends on a fallback: resolvers must not set headers or cookies through the context
        # (none does).
        context = await self.get_context(request, Response())
        try:
            body = await planned.answer(
                context.principal, services.clock.now(), context.loaders.reads
            )
        except Fallback:
            return await super().run(request, context)
        observed = observation(request.scope)
        if observed is not None:
            name = planned.operation.name
            observed.operation_ran(name.value if name else None, failed=False)
        return Response(body, media_type="application/json")

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        services: Services = request.app.state.services
        principal = None
        reads = None  # a WebSocket connection's loaders are built per event, when used
        if isinstance(request, Request):
            reads = SharedReads(services.database)
            upload = check_multipart(request)
            if upload and isinstance(response, Response):
                # Strawberry never closes the parsed form: its spooled upload files would
                # linger until garbage collection. Close them once the response is sent.
                response.background = BackgroundTask(request.close)
            token = bearer_token(request.headers.get("authorization"))
            if token:
                principal = await authenticate(services, token, reads)
            # Before Strawberry reads the body: refusals here cost the server no parsing.
            if upload:
                require_uploader(principal)
            if principal is not None:
                await rate_limits_of(request).check(principal)
        return Context(services, principal, request, response, reads)

    async def on_ws_connect(self, context: Context) -> UnsetType:
        """The connection_init payload must carry a valid token or API key:
        {"token": "..."} or {"Authorization": "Bearer ..."}."""
        params = context.connection_params
        token = params.get("token") or bearer_token(params.get("Authorization"))
        services = context.services
        claims = None
        if isinstance(token, str):
            claims = read_credentials(
                services.settings.signing_key, token, now=services.clock.now()
            )
        if claims is None:
            raise ConnectionRejectionError({"reason": "a valid token is required"})
        try:
            principal = await current_principal(services, claims)
        except SessionEnded:
            raise ConnectionRejectionError({"reason": "a valid token is required"}) from None
        # Raises TooManyConnections (closed with 4429); counted until the socket closes.
        self.connections.admit_user(principal.user_id, services.settings.max_connections_per_user)
        context.principal = principal
        context.token_claims = claims  # each operation reloads the principal from them
        acknowledged: UnsetType = UNSET  # a plain connection_ack, without payload
        return acknowledged

    @property
    def graphql_ide_html(self) -> str:
        return graphiql.page()  # Strawberry's page, with its files served from here

    def encode_json(self, data: GraphQLHTTPResponse | object) -> str:
        # Text, not bytes: WebSocket clients expect graphql-transport-ws messages as text frames.
        return orjson.dumps(data).decode()


def _feed_arguments(schema: Schema) -> dict[str, dict[str, str]]:
    """Per subscription field with a feed: GraphQL argument name -> keyword of the feed."""
    root = schema._schema.subscription_type
    names: dict[str, dict[str, str]] = {}
    if root is None:
        return names
    for field_name in FEEDS:
        field = root.fields.get(field_name)
        definition = field.extensions.get("strawberry-definition") if field else None
        if definition is None:
            continue
        names[field_name] = {
            schema.config.name_converter.from_argument(argument): argument.python_name
            for argument in definition.arguments
        }
    return names
