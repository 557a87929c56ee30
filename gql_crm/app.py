"""The ASGI application: ``create_app()`` wires settings, database, bus and GraphQL."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema import Schema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    CompleteMessage,
    ConnectionInitMessage,
    ErrorMessage,
    NextMessage,
    NextMessagePayload,
)
from strawberry.types.unset import UNSET, UnsetType
from strawberry.utils.aio import aclosing

from gql_crm.auth.principal import Principal, Unauthenticated
from gql_crm.auth.tokens import bearer_token, read_token
from gql_crm.clock import Clock, SystemClock
from gql_crm.context import Context
from gql_crm.db.engine import Database, SharedReads
from gql_crm.direct.compiled_planner import Planner
from gql_crm.direct.compiled_sql import Fallback
from gql_crm.direct.frames import OperationFrames
from gql_crm.direct.selections import Documents
from gql_crm.direct.subscriptions import (
    DirectPlanner,
    DirectSubscription,
    error_payload,
)
from gql_crm.resolvers.attachment import download_attachment
from gql_crm.schema import build_schema, validation_limits
from gql_crm.schema.errors import ErrorPolicy
from gql_crm.services.auth import authenticate
from gql_crm.services.unit_of_work import Services
from gql_crm.settings import Settings
from gql_crm.subscriptions.bus import Bus, user_channel
from gql_crm.subscriptions.live import FEEDS, Feed, listening, live_items
from gql_crm.subscriptions.long_lived import LongLivedConnections
from gql_crm.subscriptions.session import (
    SESSION_ENDED_CLOSE_CODE,
    SessionEnded,
    current_principal,
)
from gql_crm.workers.jobs import schedules
from gql_crm.workers.scheduler import Scheduler

logger = logging.getLogger("gql_crm")

_GC_YOUNG_THRESHOLD = 20_000


class LiveTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, with plain-data subscriptions served by projection.

    See ``direct/subscriptions.py``: the feed (and with it every permission and scope check)
    is the same as Strawberry's resolver runs; only graphql-core's per-event execution and
    Strawberry's per-result extension hooks are left out. Everything else is Strawberry's.
    """

    _closing = False  # the connection is being closed because its session ended

    async def handle(self) -> None:
        connections = self._view().connections
        connections.opened()
        try:
            await super().handle()
        finally:
            connections.closed()

    def _view(self) -> CrmGraphQL:
        view = self.view
        assert isinstance(view, CrmGraphQL)
        return view

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_init_received:
            # The timeout task is cancelled by now; holding it kept its CancelledError, the
            # traceback and both frames alive for the connection's lifetime (about 1 KB each).
            self.connection_init_timeout_task = None

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        view = self._view()
        context = self.context
        if context.session_ended is None:
            try:
                # Every operation runs with the rights of now, not those of connection_init.
                context.principal = await self._current_principal()
            except SessionEnded as ended:
                context.session_ended = ended
            except Exception as error:  # the database is unreachable...: this operation fails
                await self._refuse(operation, error, view.error_policy.process)
                return
        if context.session_ended is not None:
            await self._end_session(operation, context.session_ended)
            return
        direct = view.planner.plan(operation.query, operation.variables, operation.operation_name)
        if direct is None:
            await super().run_operation(operation)
        else:
            try:
                await self._run_direct(operation, direct, view.error_policy.process)
            except WebSocketDisconnected:
                self.operations.pop(operation.id, None)
                return
        if context.session_ended is not None:  # learnt by the subscription that just ended
            await self._end_session(operation, context.session_ended)

    async def _current_principal(self) -> Principal:
        claims = self.context.token_claims
        assert claims is not None  # an acknowledged connection has them (on_ws_connect)
        return await current_principal(self.context.services, claims)

    async def _refuse(
        self,
        operation: Operation[Context, None],
        error: Exception,
        process: Callable[[list[GraphQLError]], list[GraphQLError]],
    ) -> None:
        logger.warning("could not reload a connection's principal", exc_info=error)
        with contextlib.suppress(WebSocketDisconnected):
            await operation.send_operation_message(
                ErrorMessage(id=operation.id, type="error", payload=error_payload(error, process))
            )

    async def _end_session(
        self, operation: Operation[Context, None], ended: Unauthenticated
    ) -> None:
        """Close the connection with the reason: no later operation may run on it."""
        self.operations.pop(operation.id, None)
        if self._closing:
            return
        self._closing = True
        # Closed already by the client, or by another operation or a protocol error.
        with contextlib.suppress(WebSocketDisconnected, WebSocketDisconnect, RuntimeError):
            await self.websocket.close(
                code=SESSION_ENDED_CLOSE_CODE, reason=_close_reason(ended.message)
            )

    async def _run_direct(
        self,
        operation: Operation[Context, None],
        direct: DirectSubscription,
        process: Callable[[list[GraphQLError]], list[GraphQLError]],
    ) -> None:
        try:
            feed = direct.feed(self.context, **direct.arguments)
            if isinstance(feed, Feed):
                await self._frames(operation, direct, feed, process)
            else:
                await self._items(operation, direct, live_items(self.context, feed), process)
        except WebSocketDisconnected:
            raise
        except Exception as error:
            # The feed ended the subscription (session over, permissions changed, bus
            # interrupted, too slow): one result with the coded error, then complete,
            # exactly as Strawberry reports an exception raised by the source stream.
            if isinstance(error, Unauthenticated):
                self.context.session_ended = error
            payload = NextMessagePayload(data=None, errors=error_payload(error, process))
            await operation.send_operation_message(
                NextMessage(id=operation.id, type="next", payload=payload)
            )
        await operation.send_operation_message(CompleteMessage(id=operation.id, type="complete"))

    async def _frames(
        self,
        operation: Operation[Context, None],
        direct: DirectSubscription,
        feed: Feed[object],
        process: Callable[[list[GraphQLError]], list[GraphQLError]],
    ) -> None:
        """Each event's frames are sent by the bus's delivery (``direct/frames.py``);
        this task only waits for what ends the subscription, and raises it."""
        context = self.context
        own = user_channel(context.require_principal().user_id)
        frames = OperationFrames(
            operation, direct, feed, own, process, context.services.bus.queue_size
        )
        try:
            async with listening(context, feed.channels, frames):
                failure = await frames.ended
        except BaseException:  # the client completed it (cancelled), or it could not start
            frames.cancel()
            raise
        # A frame still waiting for the socket goes out before the error and complete.
        raise failure

    async def _items(
        self,
        operation: Operation[Context, None],
        direct: DirectSubscription,
        items: AsyncIterator[object],
        process: Callable[[list[GraphQLError]], list[GraphQLError]],
    ) -> None:
        async with aclosing(items):
            async for item in items:
                await operation.send_operation_message(
                    direct.next_message(operation.id, item, process)
                )


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
        return Response(body, media_type="application/json")

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        services: Services = request.app.state.services
        principal = None
        reads = None  # a WebSocket connection's loaders are built per event, when used
        if isinstance(request, Request):
            reads = SharedReads(services.database)
            if _check_multipart(request, services.settings) and isinstance(response, Response):
                # Strawberry never closes the parsed form: its spooled upload files would
                # linger until garbage collection. Close them once the response is sent.
                response.background = BackgroundTask(request.close)
            token = bearer_token(request.headers.get("authorization"))
            if token:
                principal = await authenticate(services, token, reads)
        return Context(services, principal, request, response, reads)

    async def on_ws_connect(self, context: Context) -> UnsetType:
        """The connection_init payload must carry a valid token: {"token": "..."}."""
        params = context.connection_params
        token = params.get("token") or bearer_token(params.get("Authorization"))
        services = context.services
        claims = None
        if isinstance(token, str):
            claims = read_token(services.settings.signing_key, token, now=services.clock.now())
        if claims is None:
            raise ConnectionRejectionError({"reason": "a valid token is required"})
        try:
            context.principal = await current_principal(services, claims)
        except SessionEnded:
            raise ConnectionRejectionError({"reason": "a valid token is required"}) from None
        context.token_claims = claims  # each operation reloads the principal from them
        acknowledged: UnsetType = UNSET  # a plain connection_ack, without payload
        return acknowledged

    def encode_json(self, data: GraphQLHTTPResponse | object) -> str:
        # Text, not bytes: WebSocket clients expect graphql-transport-ws messages as text frames.
        return orjson.dumps(data).decode()


# RFC 6455 allows 123 bytes of reason in a close frame.
_CLOSE_REASON_MAX = 123


def _close_reason(message: str) -> str:
    return message.encode()[:_CLOSE_REASON_MAX].decode(errors="ignore")


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


# Room for the multipart envelope (operations, map, part headers) around the file itself.
_MULTIPART_OVERHEAD = 64 * 1024


def _check_multipart(request: Request, settings: Settings) -> bool:
    """Refuse multipart requests a browser could send cross-site without asking first.

    A multipart/form-data POST is a "simple" request: any page may send one, with the user's
    cookies, and no CORS preflight. Strawberry only keeps multipart off by default; it has no
    check of its own once it is on. Our tokens travel in the Authorization header (which a
    page cannot add without a preflight), but we also require a header that forces the
    preflight, as Apollo Server does, so that uploads stay safe whatever authentication is
    added later. Bodies far beyond the attachment limit are refused before they are read.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        return False
    if not (
        request.headers.get("apollo-require-preflight")
        or request.headers.get("x-apollo-operation-name")
    ):
        raise HTTPException(
            400,
            "Multipart requests must carry a non-empty 'Apollo-Require-Preflight' (or "
            "'X-Apollo-Operation-Name') header.",
        )
    length = request.headers.get("content-length", "")
    limit = settings.max_attachment_bytes
    if length.isdigit() and int(length) > limit + _MULTIPART_OVERHEAD:
        raise HTTPException(413, f"The request is over the attachment limit ({limit} bytes).")
    return True


async def _healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _readyz(request: Request) -> Response:
    services: Services = request.app.state.services
    checks: dict[str, str] = {}
    try:
        await services.database.ping()
        checks["database"] = "ok"
    except Exception as error:  # readiness reports any failure, whatever its kind
        checks["database"] = f"unavailable: {type(error).__name__}"
    redis_url = services.settings.redis_url
    if redis_url:
        try:
            async with Redis.from_url(redis_url, socket_timeout=2) as redis:
                await redis.ping()
            checks["redis"] = "ok"
        except Exception as error:
            checks["redis"] = f"unavailable: {type(error).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Starlette:
    settings = settings or Settings()
    _ = settings.signing_key  # fail at start-up, not at the first login, when it is missing
    graphql = CrmGraphQL(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        database = Database(settings)
        bus = Bus(settings.broadcast_url, namespace=settings.bus_namespace)
        await bus.connect()
        services = Services(
            settings=settings, database=database, clock=clock or SystemClock(), bus=bus
        )
        app.state.services = services
        scheduler = None
        if settings.scheduler_enabled:
            scheduler = Scheduler(services, schedules(settings))
            scheduler.start()
        app.state.scheduler = scheduler
        # What exists now (the schema, the models, the compiled statements) lives as long as
        # the process: keep it out of the garbage collector's full passes.
        gc.collect()
        gc.freeze()
        # Thousands of WebSocket connections are hundreds of thousands of long-lived objects,
        # and a full collection walks them all (about 0.5 s at 5,000 connections). With the
        # default first threshold (700), the objects a fan-out has in flight are promoted
        # and push the oldest generation towards its next full pass; a larger first
        # generation lets them die young. Measured on the fan-out benchmark. The connections'
        # own objects are frozen once they settle (subscriptions/long_lived.py).
        gc.set_threshold(_GC_YOUNG_THRESHOLD, 10, 10)
        try:
            yield
        finally:
            graphql.connections.stop()
            if scheduler is not None:
                await scheduler.stop()
            await bus.disconnect()
            await database.dispose()

    return Starlette(
        debug=settings.debug,
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/attachments/{id:int}", download_attachment, methods=["GET"]),
            Route("/healthz", _healthz),
            Route("/readyz", _readyz),
        ],
        lifespan=lifespan,
    )
