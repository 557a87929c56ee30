"""OpenTelemetry tracing: a span per HTTP request and WebSocket connection (Starlette), per
GraphQL operation and resolver (Strawberry's extension), per SQL statement (SQLAlchemy) and
per Redis command.

Off by default (``GQL_CRM_TRACING=off``): then nothing of OpenTelemetry is even imported.
It needs the ``tracing`` extra (``pip install 'gql-crm[tracing]'``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from strawberry.extensions import SchemaExtension

from gql_crm.db import engine
from gql_crm.settings import ConfigurationError, Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

_provider: TracerProvider | None = None
_instrumented = False


def provider(settings: Settings) -> TracerProvider | None:
    """The process's tracer provider, built from ``settings`` when first needed; None when
    tracing is off."""
    global _provider
    if settings.tracing == "off":
        return None
    if _provider is None:
        try:
            _provider = _build(settings)
        except ImportError as error:
            raise ConfigurationError(
                f"GQL_CRM_TRACING={settings.tracing} needs OpenTelemetry: "
                "pip install 'gql-crm[tracing]'"
            ) from error
    return _provider


def use_provider(chosen: TracerProvider | None) -> None:
    """Trace to ``chosen`` instead of what the settings name (tests: an in-memory exporter)."""
    global _provider
    _provider = chosen


def _build(settings: Settings) -> TracerProvider:
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SpanExporter,
    )

    exporter: SpanExporter
    if settings.tracing == "console":
        exporter = ConsoleSpanExporter()
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=settings.tracing_endpoint)
    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, take precedence.
    traced = TracerProvider(resource=Resource.create({SERVICE_NAME: "gql-crm"}))
    traced.add_span_processor(BatchSpanProcessor(exporter))
    return traced


def start(settings: Settings) -> None:
    """Trace SQL and Redis in this process; before any engine is created (once)."""
    global _instrumented
    chosen = provider(settings)
    if chosen is None or _instrumented:
        return
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    # Wraps create_async_engine: every engine made from now on reports its statements. The
    # instrumentation declares SQLAlchemy < 2.1 only; it works on 2.1 through the same events
    # (tests/observe/test_tracing.py).
    SQLAlchemyInstrumentor().instrument(tracer_provider=chosen, skip_dep_check=True)
    RedisInstrumentor().instrument(tracer_provider=chosen)
    engine.raw_statement_span = _statement_spans(chosen)
    _instrumented = True


def _statement_spans(
    chosen: TracerProvider,
) -> Callable[[str], contextlib.AbstractContextManager[object]]:
    """Spans for the statements compiled reads send to asyncpg, past SQLAlchemy."""
    from opentelemetry.trace import SpanKind

    tracer = chosen.get_tracer("gql_crm.compiled")

    def span(sql: str) -> contextlib.AbstractContextManager[object]:
        return tracer.start_as_current_span(
            "compiled read",
            kind=SpanKind.CLIENT,
            attributes={"db.system": "postgresql", "db.statement": sql},
        )

    return span


def stop() -> None:
    """Undo ``start`` (tests)."""
    global _instrumented
    if not _instrumented:
        return
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    SQLAlchemyInstrumentor().uninstrument()
    RedisInstrumentor().uninstrument()
    engine.raw_statement_span = None
    _instrumented = False


def instrument_app(app: Starlette, settings: Settings) -> None:
    """A server span per request and WebSocket connection."""
    chosen = provider(settings)
    if chosen is None:
        return
    from opentelemetry.instrumentation.starlette import StarletteInstrumentor

    StarletteInstrumentor.instrument_app(app, tracer_provider=chosen)


def schema_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Strawberry's spans: the operation, its parsing and validation, and its resolvers."""
    chosen = provider(settings)
    if chosen is None:
        return []
    from strawberry.extensions.tracing import OpenTelemetryExtension

    return [lambda: OpenTelemetryExtension(tracer_provider=chosen)]
