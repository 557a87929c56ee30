"""OpenTelemetry: a GraphQL query's spans, from the HTTP request down to its SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gql_crm.app import create_app
from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from gql_crm.observability import tracing
from gql_crm.settings import Settings
from tests.fixtures.live_server import started
from tests.graphql_client import GraphQLClient


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_provider(provider)
    try:
        yield exporter
    finally:
        tracing.stop()
        tracing.use_provider(None)
        provider.shutdown()


@pytest.fixture
async def traced(
    settings: Settings, database: Database, clock: FrozenClock, exported: InMemorySpanExporter
) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings.model_copy(update={"tracing": "console"}), clock=clock)
    async with started(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


def _ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names = []
    parent = span.parent
    while parent is not None and parent.span_id in by_id:
        ancestor = by_id[parent.span_id]
        names.append(ancestor.name)
        parent = ancestor.parent
    return names


async def test_a_query_is_one_trace_from_request_to_sql(
    traced: httpx.AsyncClient, exported: InMemorySpanExporter
) -> None:
    sales1 = await GraphQLClient(traced).as_user("sales1")
    exported.clear()

    await sales1.data("query Whoami { me { loginName department { name } } }")

    spans = exported.get_finished_spans()
    operation = [s for s in spans if s.name == "GraphQL Query: Whoami"]
    assert len(operation) == 1, [s.name for s in spans]
    trace_id = operation[0].context.trace_id
    in_trace = [s for s in spans if s.context.trace_id == trace_id]
    by_id = {s.context.span_id: s for s in in_trace}
    http = [s for s in in_trace if s.name == "POST /graphql" and s.parent is None]
    assert http, [s.name for s in in_trace]
    sql = [s for s in in_trace if s.attributes and "db.statement" in s.attributes]
    sql += [s for s in in_trace if s.attributes and "db.query.text" in s.attributes]
    assert sql, "the query's SQL statements are spans of its trace"
    # The resolvers' reads (a department, by its loader) run inside the operation's span.
    assert any("GraphQL Query: Whoami" in _ancestors(s, by_id) for s in sql)


async def test_a_customer_read_is_traced_to_its_sql_on_either_path(
    traced: httpx.AsyncClient, exported: InMemorySpanExporter
) -> None:
    sales1 = await GraphQLClient(traced).as_user("sales1")
    created = await sales1.data(
        'mutation { createCustomer(input: {name: "Traced", maturityId: 1}) '
        "{ ... on CustomerSuccess { customer { id } } } }"
    )
    exported.clear()

    # On PostgreSQL a compiled read answers it with one statement sent past SQLAlchemy.
    await sales1.data(
        "query Customer($id: Int!) { customer(id: $id) { name } }",
        id=created["createCustomer"]["customer"]["id"],
    )

    spans = exported.get_finished_spans()
    http = [s for s in spans if s.name == "POST /graphql" and s.parent is None]
    assert len(http) == 1
    statements = [
        str(s.attributes.get("db.statement") or s.attributes.get("db.query.text"))
        for s in spans
        if s.attributes and s.context.trace_id == http[0].context.trace_id
    ]
    assert any("customers" in statement for statement in statements), statements


async def test_tracing_off_installs_nothing(app: object, http: httpx.AsyncClient) -> None:
    assert tracing.provider(Settings(tracing="off")) is None
    assert (await http.get("/healthz")).status_code == 200
