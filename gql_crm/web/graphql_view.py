"""The GraphQL endpoint: Strawberry's ASGI view with our authentication, compiled reads
and JSON encoding."""

from __future__ import annotations

import asyncio

import orjson
from cross_web import HTTPException
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import (
    GraphQLHTTPResponse,
    GraphQLRequestData,
    GraphQLRequestProtocol,
    process_result,
)
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema import Schema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from gql_crm.auth.api_keys import Credentials, read_credentials
from gql_crm.auth.principal import Principal
from gql_crm.auth.tokens import TokenClaims, bearer_token
from gql_crm.context import Context, Unchecked
from gql_crm.db.engine import Reads, SharedReads
from gql_crm.db.scopes import guard_values
from gql_crm.direct.compiled_planner import PageSizes, Planner, StalePrincipal
from gql_crm.direct.compiled_sql import Fallback
from gql_crm.direct.selections import Documents
from gql_crm.direct.subscriptions import DirectPlanner
from gql_crm.observability.metrics import observation
from gql_crm.schema import build_schema, validation_limits
from gql_crm.schema.errors import ErrorPolicy
from gql_crm.services.auth import RecentPrincipals, current, vouched
from gql_crm.services.unit_of_work import Services
from gql_crm.settings import Settings
from gql_crm.subscriptions.live import FEEDS
from gql_crm.subscriptions.long_lived import LongLivedConnections
from gql_crm.subscriptions.session import SessionEnded, current_principal
from gql_crm.web import graphiql
from gql_crm.web.persisted import PersistedQueries
from gql_crm.web.protocol import (
    Outcome,
    RequestRefused,
    bad_request,
    executed_outcome,
    graphql_refusal,
    response_media_type,
)
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
            Planner(documents, PageSizes(settings.default_page_size, settings.max_page_size))
            if settings.compiled_reads and not settings.is_sqlite
            else None
        )
        self.persisted = PersistedQueries(settings)
        self.recent = RecentPrincipals()
        self.max_batch_operations = settings.max_batch_operations if settings.batching else None
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
            allowed_origins=settings.allowed_origins,
            multipart_uploads_enabled=True,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        response = await self._run_http(Request(scope, receive=receive))
        await response(scope, receive, send)

    async def run(  # type: ignore[override]
        self,
        request: Request | WebSocket,
        context: Context | UnsetType = UNSET,
        root_value: UnsetType | None = UNSET,
    ) -> Response | WebSocket:
        if not isinstance(request, Request):
            return await super().run(request, context, root_value)  # type: ignore[arg-type]
        return await self._run_http(request)

    async def _run_http(self, request: Request) -> Response:
        media_type = response_media_type(request.headers.get("accept"))
        sub_response = await self.get_sub_response(request)
        try:
            return await self._serve(request, media_type, sub_response)
        except HTTPException as refusal:  # Strawberry's, about the request itself
            outcome = bad_request(refusal.reason, refusal.status_code).outcome()
        except RequestRefused as refusal:
            outcome = refusal.outcome()
        return self._respond(outcome, media_type, sub_response)

    async def _serve(self, request: Request, media_type: str, sub_response: Response) -> Response:
        """GraphQL over HTTP, as Strawberry's ``run`` does it, with our media types, status
        codes, coded refusals, persisted queries and compiled reads."""
        adapter = self.request_adapter_class(request)
        if self.should_render_graphql_ide(adapter):
            if self.graphql_ide:
                return await self.render_graphql_ide(request)
            raise HTTPException(404, "Not Found")
        context = await self.get_context(request, sub_response)
        data = await self.parse_http_body(adapter)
        if isinstance(data, list):
            await self._check_principal(context)  # once, before the operations run together
            outcomes = await asyncio.gather(
                *(self._operation(adapter.method, item, context) for item in data)
            )
            bodies = [o.body if isinstance(o, Outcome) else orjson.loads(o) for o in outcomes]
            body: str | bytes = self.encode_json(bodies)
            response = Response(body, media_type=media_type)
            response.background = sub_response.background
            return response
        compiled = self.compiled if adapter.method == "POST" else None
        answer = await self._operation(adapter.method, data, context, compiled)
        if isinstance(answer, Outcome):
            return self._respond(answer, media_type, sub_response)
        response = Response(answer, media_type=media_type)
        response.background = sub_response.background
        return response

    async def _operation(
        self,
        method: str,
        data: GraphQLRequestData,
        context: Context,
        compiled: Planner | None = None,
    ) -> Outcome | str:
        """One operation (of a batch, or alone): its outcome, or the response body compiled
        reads made of it."""
        try:
            if not _well_formed(data):
                raise bad_request(
                    "query and operationName must be strings, variables and extensions "
                    "objects, when given"
                )
            resolved = await self.persisted.resolve(data.query, data.extensions)
            if resolved.query is None:
                raise bad_request("No GraphQL query found in the request")
            if compiled is not None and (
                answer := await self._compiled_answer(compiled, resolved.query, data, context)
            ):
                await self.persisted.register(resolved)
                return answer
            await self._check_principal(context)
            result = await self._execute(method, resolved.query, data, context)
        except RequestRefused as refusal:
            return refusal.outcome()
        outcome = executed_outcome(dict(process_result(result)), result.errors)
        if outcome.status == 200:  # remember documents that ran, never broken ones
            await self.persisted.register(resolved)
        return outcome

    async def _execute(
        self, method: str, query: str, data: GraphQLRequestData, context: Context
    ) -> ExecutionResult:
        allowed = _QUERIES if method == "GET" else _QUERIES_AND_MUTATIONS
        try:
            return await self.schema.execute(
                query,
                variable_values=data.variables,
                context_value=context,
                operation_name=data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=data.extensions,
            )
        except MissingQueryError:
            raise bad_request("No GraphQL query found in the request") from None
        except CannotGetOperationTypeError as error:
            message = (
                f"The document has no operation named {error.operation_name!r}."
                if error.operation_name is not None
                else "The document has several operations: name one in operationName."
            )
            raise graphql_refusal(message, "OPERATION_RESOLUTION_FAILURE") from None
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.SUBSCRIPTION:
                raise graphql_refusal(
                    "Subscriptions are served over WebSocket (graphql-transport-ws) at "
                    "/graphql, not over HTTP.",
                    "OPERATION_NOT_SUPPORTED",
                ) from None
            # The specification's answer to a mutation sent with GET.
            raise bad_request(error.as_http_error_reason(method), 405) from None

    def _respond(self, outcome: Outcome, media_type: str, sub_response: Response) -> Response:
        status = outcome.status_for(media_type)
        response = Response(self.encode_json(outcome.body), status, media_type=media_type)
        if status == 405:
            response.headers["allow"] = "POST"
        response.headers.update(outcome.headers)
        response.headers.raw.extend(sub_response.headers.raw)
        response.background = sub_response.background
        return response

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # Browsers ask for text/html; Apollo's persisted-query GETs (no query, an extensions
        # parameter, Accept: */*) are GraphQL requests.
        return (
            request.method == "GET"
            and request.query_params.get("query") is None
            and request.query_params.get("extensions") is None
            and "text/html" in request.headers.get("accept", "")
        )

    def _validate_batch_request(
        self, request_data: list[GraphQLRequestData], protocol: GraphQLRequestProtocol
    ) -> None:
        if self.max_batch_operations is None:
            raise RequestRefused(
                "Batched operations are not enabled on this server: send one operation per "
                "request.",
                "BATCHING_NOT_ENABLED",
            )
        if not request_data or len(request_data) > self.max_batch_operations:
            raise RequestRefused(
                f"A batch holds 1 to {self.max_batch_operations} operations.",
                "BATCH_TOO_LARGE",
            )
        if not all(isinstance(item, dict) for item in request_data):
            raise bad_request("Each operation of a batch must be a JSON object.")

    async def close(self) -> None:
        await self.persisted.close()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        services: Services = request.app.state.services
        principal = None
        unchecked = None
        reads = None  # a WebSocket connection's loaders are built per event, when used
        if isinstance(request, Request):
            reads = SharedReads(services.database)
            upload = check_multipart(request)
            if upload and isinstance(response, Response):
                # Strawberry never closes the parsed form: its spooled upload files would
                # linger until garbage collection. Close them once the response is sent.
                response.background = BackgroundTask(request.close)
            token = bearer_token(request.headers.get("authorization"))
            claims = None
            if token:
                now = services.clock.now()
                claims = read_credentials(services.settings.signing_key, token, now=now)
            # A principal read a moment ago for this token is taken as it is; the request
            # reads it again before anything relies on it (_check_principal), unless its one
            # statement checks it (compiled reads).
            if (
                isinstance(claims, TokenClaims)
                and not upload
                and (recent := self.recent.get(claims))
            ):
                principal, fingerprint = recent
                unchecked = Unchecked(claims, fingerprint)
            elif claims is not None:
                principal = await self._read_principal(services, claims, reads)
            # Before Strawberry reads the body: refusals here cost the server no parsing.
            if upload:
                require_uploader(principal)
            if principal is not None:
                await rate_limits_of(request).check(principal)
        context = Context(services, principal, request, response, reads)
        context.unchecked = unchecked
        return context

    async def _read_principal(
        self, services: Services, claims: Credentials, reads: Reads
    ) -> Principal | None:
        if not isinstance(claims, TokenClaims):
            return await current(services, claims, reads)
        found = await vouched(reads, claims)
        self.recent.keep(claims, found)
        return None if found is None else found.principal

    async def _check_principal(self, context: Context) -> None:
        """Read the principal taken from ``recent`` again, as it is now."""
        unchecked, context.unchecked = context.unchecked, None
        if unchecked is not None:
            reads = context.loaders.reads
            context.principal = await self._read_principal(
                context.services, unchecked.claims, reads
            )

    async def _compiled_answer(
        self, planner: Planner, query: str, data: GraphQLRequestData, context: Context
    ) -> str | None:
        """A query answered by one SQL statement (``direct/compiled_planner.py``) where it
        can be; None leaves it, errors included, to Strawberry. A principal taken from
        ``recent`` is checked by that statement: if it no longer stands, it is read again
        and the statement sent again for it."""
        planned = planner.prepare(
            {"query": query, "variables": data.variables, "operationName": data.operation_name}
        )
        if planned is None:
            return None
        now, reads = context.services.clock.now(), context.loaders.reads
        unchecked = context.unchecked
        guard = None
        if unchecked is not None:
            claims = unchecked.claims
            guard = guard_values(claims.user_id, claims.token_version, unchecked.fingerprint)
        try:
            try:
                body = await planned.answer(context.principal, now, reads, guard)
                context.unchecked = None
            except StalePrincipal:
                await self._check_principal(context)
                body = await planned.answer(context.principal, now, reads)
        except Fallback:
            return None
        # Strawberry's operations are observed by the metrics' schema extension; this one by
        # hand.
        scope = getattr(context.request, "scope", None)
        observed = observation(scope) if scope is not None else None
        if observed is not None:
            name = planned.operation.name
            observed.operation_ran(name.value if name else None, failed=False)
        return body

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

    def decode_json(self, data: str | bytes) -> object:
        # orjson's JSONDecodeError is json's: Strawberry's handling of bad JSON still applies.
        return orjson.loads(data)

    def encode_json(self, data: GraphQLHTTPResponse | object) -> str:
        # Text, not bytes: WebSocket clients expect graphql-transport-ws messages as text frames.
        return orjson.dumps(data).decode()


_QUERIES = frozenset({OperationType.QUERY})
_QUERIES_AND_MUTATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})


def _well_formed(data: GraphQLRequestData) -> bool:
    """The parameters' types (Strawberry checks those of a single request, not a batch's)."""
    return (
        isinstance(data.query, str | None)
        and isinstance(data.variables, dict | None)
        and isinstance(data.operation_name, str | None)
        and isinstance(data.extensions, dict | None)
    )


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
