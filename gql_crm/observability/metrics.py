"""Prometheus metrics: GraphQL requests by operation, the database pool, live subscriptions,
the bus's round trip through Redis, and the background jobs.

Off until ``GQL_CRM_METRICS_TOKEN`` is set: then ``/metrics`` answers with that bearer token
only, the GraphQL route is timed and the pool is watched; off, none of that is installed.
With several server processes (``serve --workers N``) every process writes its values to
files in ``PROMETHEUS_MULTIPROC_DIR`` (``gql-crm serve`` sets it up) and ``/metrics``, in
whichever process answers, adds them up.
"""

from __future__ import annotations

import hmac
import os
import threading
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    make_wsgi_app,
    multiprocess,
)
from prometheus_client.exposition import ThreadingWSGIServer
from sqlalchemy import event
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from gql_crm.db.engine import Database
from gql_crm.settings import Settings

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "gql_crm_graphql_requests", "GraphQL requests over HTTP, by operation name", ["operation"]
)
ERRORS = Counter(
    "gql_crm_graphql_errors",
    "GraphQL requests over HTTP answered with errors (or a server error), by operation name",
    ["operation"],
)
LATENCY = Histogram(
    "gql_crm_graphql_request_duration_seconds",
    "Time to answer a GraphQL request over HTTP, by operation name",
    ["operation"],
    buckets=_LATENCY_BUCKETS,
)
DB_CHECKED_OUT = Gauge(
    "gql_crm_db_connections_checked_out",
    "Database connections in use",
    multiprocess_mode="livesum",
)
DB_POOL_SIZE = Gauge(
    "gql_crm_db_pool_size",
    "Database connections the pools keep open (each may open as many again in overflow)",
    multiprocess_mode="livesum",
)
LIVE_SUBSCRIPTIONS = Gauge(
    "gql_crm_live_subscriptions", "Live subscriptions being served", multiprocess_mode="livesum"
)
WEBSOCKETS = Gauge(
    "gql_crm_websocket_connections", "Open WebSocket connections", multiprocess_mode="livesum"
)
BUS_ROUND_TRIP = Histogram(
    "gql_crm_bus_round_trip_seconds",
    "Time for the bus's heartbeat to come back through Redis: the lag live events see",
    buckets=_LATENCY_BUCKETS,
)
JOB_RUNS = Counter(
    "gql_crm_job_runs", "Background job runs, by job and outcome (ok, failed)", ["job", "outcome"]
)
JOB_DURATION = Histogram(
    "gql_crm_job_duration_seconds",
    "Time a background job run took, by job",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0),
)

# Operation names are chosen by clients: past this many distinct ones a process counts the
# rest as "(other)", so that no client can grow the metrics without bound.
MAX_OPERATIONS = 200
MAX_OPERATION_LENGTH = 100
ANONYMOUS = "(anonymous)"
UNKNOWN = "(none)"  # no operation was read: a GraphiQL page, a body that is not GraphQL
OTHER = "(other)"


class Observation:
    """What the GraphQL view learns about one HTTP request, for the metrics middleware."""

    __slots__ = ("failed", "operation", "seen")

    def __init__(self) -> None:
        self.seen = False
        self.operation: str | None = None
        self.failed = False

    def operation_ran(self, name: str | None, *, failed: bool) -> None:
        self.seen = True
        self.operation = name
        self.failed = failed


_SCOPE_KEY = "gql_crm.observation"


def observation(scope: Scope) -> Observation | None:
    """The request's observation, when metrics are on."""
    found: Observation | None = scope.get(_SCOPE_KEY)
    return found


class _Operation:
    """One operation's series, looked up once (``labels()`` takes a lock and builds a key)."""

    __slots__ = ("errors", "latency", "requests")

    def __init__(self, label: str) -> None:
        self.requests = REQUESTS.labels(label)
        self.errors = ERRORS.labels(label)
        self.latency = LATENCY.labels(label)


class _Operations:
    def __init__(self) -> None:
        self._known: dict[str, _Operation] = {}
        self._lock = threading.Lock()

    def of(self, observed: Observation) -> _Operation:
        if not observed.seen:
            return self._series(UNKNOWN)
        name = observed.operation
        if not name:
            return self._series(ANONYMOUS)
        name = name[:MAX_OPERATION_LENGTH]
        known = self._known.get(name)
        if known is not None:
            return known
        if len(self._known) >= MAX_OPERATIONS:
            return self._series(OTHER)
        return self._series(name)

    def _series(self, label: str) -> _Operation:
        known = self._known.get(label)
        if known is None:
            with self._lock:
                known = self._known.setdefault(label, _Operation(label))
        return known


_operations = _Operations()


class GraphQLMetrics:
    """ASGI middleware around the GraphQL HTTP endpoint: counts, errors and latency by
    operation name (which the view and ``OperationMetrics`` fill in)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        observed = scope[_SCOPE_KEY] = Observation()
        status = 500
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - started
            series = _operations.of(observed)
            series.requests.inc()
            series.latency.observe(elapsed)
            if observed.failed or status >= 500:
                series.errors.inc()


def observed(graphql: ASGIApp, settings: Settings) -> ASGIApp:
    """The GraphQL endpoint, timed when metrics are on."""
    return GraphQLMetrics(graphql) if settings.metrics_enabled else graphql


class OperationMetrics(SchemaExtension):
    """Tells the request's observation which operation Strawberry ran and whether it failed."""

    def on_operation(self) -> Generator[None, None, None]:
        yield
        context = self.execution_context
        request = getattr(context.context, "request", None)
        scope = getattr(request, "scope", None)
        observed = observation(scope) if scope is not None else None
        if observed is None:  # a WebSocket operation, or a call without a request
            return
        result = context.result
        failed = bool(context.pre_execution_errors) or bool(result is not None and result.errors)
        observed.operation_ran(context.operation_name, failed=failed)


# ---- the database pool -------------------------------------------------------------------


def watch_pool(database: Database) -> Callable[[], None]:
    """Keep the pool gauges current as connections are checked out and in; returns what
    takes this pool's share back out (when the database is disposed)."""
    engine = database.engine.sync_engine
    pool: Any = engine.pool
    size: int = pool.size() if callable(getattr(pool, "size", None)) else 0
    DB_POOL_SIZE.inc(size)
    share = 0  # this pool's part of the gauge: several databases may live in one process

    # Counted, not read from the pool: "checkin" fires before the pool takes it back.
    def checked_out(*_: Any) -> None:
        nonlocal share
        share += 1
        DB_CHECKED_OUT.inc()

    def checked_in(*_: Any) -> None:
        nonlocal share
        share -= 1
        DB_CHECKED_OUT.dec()

    event.listen(engine, "checkout", checked_out)
    event.listen(engine, "checkin", checked_in)

    def unwatch() -> None:
        nonlocal share
        event.remove(engine, "checkout", checked_out)
        event.remove(engine, "checkin", checked_in)
        DB_CHECKED_OUT.dec(share)
        DB_POOL_SIZE.dec(size)
        share = 0

    return unwatch


# ---- jobs ----------------------------------------------------------------------------------


def job_ran(name: str, started: float, *, failed: bool) -> None:
    JOB_RUNS.labels(name, "failed" if failed else "ok").inc()
    JOB_DURATION.labels(name).observe(time.perf_counter() - started)


# ---- exposition ------------------------------------------------------------------------------


def _registry() -> CollectorRegistry:
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def authorized(settings: Settings, authorization: str | None) -> bool:
    token = settings.metrics_token
    if token is None or not authorization:
        return False
    scheme, _, provided = authorization.partition(" ")
    expected = token.get_secret_value()
    return scheme.lower() == "bearer" and hmac.compare_digest(provided.encode(), expected.encode())


def routes(settings: Settings) -> list[Route]:
    """``/metrics``, when metrics are on."""
    if not settings.metrics_enabled:
        return []

    async def metrics(request: Request) -> Response:
        if not authorized(settings, request.headers.get("authorization")):
            return PlainTextResponse(
                "metrics need the bearer token", 401, {"WWW-Authenticate": "Bearer"}
            )
        body = await run_in_threadpool(generate_latest, _registry())
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return [Route("/metrics", metrics, methods=["GET"])]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not news."""


def serve_in_thread(settings: Settings, host: str = "0.0.0.0") -> WSGIServer:
    """``/metrics`` of a process without an HTTP server of its own (``gql-crm worker``), on
    ``worker_metrics_port``, behind the same token."""
    exposition = make_wsgi_app(_registry())

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not authorized(settings, environ.get("HTTP_AUTHORIZATION")):
            start_response("401 Unauthorized", [("WWW-Authenticate", "Bearer")])
            return [b"metrics need the bearer token"]
        return exposition(environ, start_response)

    server = make_server(
        host, settings.worker_metrics_port, app, ThreadingWSGIServer, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server


def prepare_processes(directory: Path) -> None:
    """Before starting several server processes: their values go to fresh files in
    ``directory``, which ``/metrics`` adds up."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_DIR] = str(directory)


def process_ended() -> None:
    """This process's gauges leave the sum (several processes only)."""
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
