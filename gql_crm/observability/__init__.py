"""What an operator sees of a running process: metrics (``metrics.py``), traces
(``tracing.py``) and logs (``logs.py``). Each is set by ``GQL_CRM_*`` settings; metrics and
tracing are off by default and cost nothing then."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from starlette.applications import Starlette
from strawberry.extensions import SchemaExtension

from gql_crm.db.engine import Database
from gql_crm.observability import metrics, tracing
from gql_crm.settings import Settings


def schema_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    extensions: list[Callable[[], SchemaExtension]] = []
    if settings.metrics_enabled:
        extensions.append(metrics.OperationMetrics)
    extensions.extend(tracing.schema_extensions(settings))
    return extensions


def instrument_app(app: Starlette, settings: Settings) -> None:
    tracing.instrument_app(app, settings)


@contextlib.contextmanager
def observed_database(settings: Settings) -> Iterator[Database]:
    """The runtime's database, its statements traced and its pool measured as configured
    (disposed by the caller). When the block ends, so does this process's share of the
    gauges."""
    tracing.start(settings)  # before the engine exists: tracing wraps its creation
    database = Database(settings)
    unwatch = metrics.watch_pool(database) if settings.metrics_enabled else None
    try:
        yield database
    finally:
        if unwatch is not None:
            unwatch()
        metrics.process_ended()
