"""The ASGI application: ``create_app()`` wires settings, the runtime, GraphQL and routes."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from gql_crm.clock import Clock
from gql_crm.observability import instrument_app, metrics
from gql_crm.resolvers.attachment import download_attachment
from gql_crm.resolvers.document import download_document
from gql_crm.resolvers.job import download_job_file, download_template
from gql_crm.runtime import running
from gql_crm.settings import Settings, load_settings
from gql_crm.web import graphiql
from gql_crm.web.edge import edge_middleware
from gql_crm.web.graphql_view import CrmGraphQL
from gql_crm.web.health import healthz, readyz
from gql_crm.web.rate_limits import RateLimits
from gql_crm.workers.jobs import schedules
from gql_crm.workers.scheduler import Scheduler

_GC_YOUNG_THRESHOLD = 20_000


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Starlette:
    settings = settings or load_settings()
    _ = settings.signing_key  # fail at start-up, not at the first login, when it is missing
    graphql = CrmGraphQL(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with running(settings, clock) as services:
            app.state.services = services
            app.state.rate_limits = RateLimits(settings)
            scheduler = None
            if settings.scheduler_enabled:
                scheduler = Scheduler(services, schedules(settings))
                scheduler.start()
            app.state.scheduler = scheduler
            _settle_garbage_collection()
            try:
                yield
            finally:
                graphql.connections.stop()
                await graphql.close()
                if scheduler is not None:
                    await scheduler.stop()
                await services.jobs.close()
                await app.state.rate_limits.close()

    app = Starlette(
        debug=settings.debug,
        routes=[
            Route("/graphql", metrics.observed(graphql, settings), methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/attachments/{id:int}", download_attachment, methods=["GET"]),
            Route("/jobs/{id:int}/result", download_job_file, methods=["GET"]),
            Route("/templates/{kind:str}.xlsx", download_template, methods=["GET"]),
            Route("/documents/{id:int}", download_document, methods=["GET"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *graphiql.routes(settings),
            *metrics.routes(settings),
        ],
        middleware=edge_middleware(settings),
        lifespan=lifespan,
    )
    instrument_app(app, settings)
    return app


def _settle_garbage_collection() -> None:
    # What exists now (the schema, the models, the compiled statements) lives as long as
    # the process: keep it out of the garbage collector's full passes.
    gc.collect()
    gc.freeze()
    # Thousands of WebSocket connections are hundreds of thousands of long-lived objects,
    # and a full collection walks them all. With the default first threshold (700), the
    # objects a fan-out has in flight are promoted and push the oldest generation towards
    # its next full pass; a larger first generation lets them die young (see the fan-out
    # benchmark). The connections' own objects are frozen once they settle
    # (subscriptions/long_lived.py).
    gc.set_threshold(_GC_YOUNG_THRESHOLD, 10, 10)
