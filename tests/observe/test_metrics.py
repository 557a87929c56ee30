"""Prometheus metrics: off unless a token is set, then behind it; requests counted by
operation name on both read paths, errors, jobs."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from starlette.applications import Starlette

from gql_crm.app import create_app
from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from gql_crm.settings import Settings
from gql_crm.workers import jobs
from tests.fixtures.live_server import started
from tests.graphql_client import GraphQLClient
from tests.ws_client import live_client

TOKEN = "metrics-test-token"
AUTHORIZED = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def metered_app(
    settings: Settings, database: Database, clock: FrozenClock
) -> AsyncIterator[Starlette]:
    """An app whose metrics are on."""
    application = create_app(
        settings.model_copy(update={"metrics_token": SecretStr(TOKEN)}), clock=clock
    )
    async with started(application):
        yield application


@pytest.fixture
async def metered(metered_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=metered_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics", headers=AUTHORIZED)
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_are_off_by_default(http: httpx.AsyncClient) -> None:
    assert (await http.get("/metrics", headers=AUTHORIZED)).status_code == 404


async def test_metrics_refuse_a_caller_without_the_token(metered: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        refused = await metered.get("/metrics", headers=headers)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert "gql_crm" not in refused.text
    assert (await metered.get("/metrics", headers=AUTHORIZED)).status_code == 200


async def test_a_request_just_made_shows_by_operation_name(metered: httpx.AsyncClient) -> None:
    sales1 = await GraphQLClient(metered).as_user("sales1")
    suffix = uuid.uuid4().hex[:8]
    me, view, broken = f"Me_{suffix}", f"View_{suffix}", f"Broken_{suffix}"
    before = await scrape(metered)

    await sales1.data(f"query {me} {{ me {{ loginName }} }}")
    # A plain customer read: on PostgreSQL the compiled path answers it, without Strawberry.
    customers = await sales1.data("{ customers(first: 1) { edges { node { id } } } }")
    ids = [edge["node"]["id"] for edge in customers["customers"]["edges"]]
    await sales1.execute(
        f"query {view}($id: Int!) {{ customer(id: $id) {{ name }} }}", id=ids[0] if ids else 1
    )
    await sales1.execute(f"query {broken} {{ noSuchField }}")

    after = await scrape(metered)
    requests = "gql_crm_graphql_requests_total"
    assert value(after, requests, operation=me) - value(before, requests, operation=me) == 1
    assert value(after, requests, operation=view) == 1
    assert value(after, requests, operation=broken) == 1
    errors = "gql_crm_graphql_errors_total"
    assert value(after, errors, operation=broken) == 1
    assert value(after, errors, operation=me) == 0
    assert value(after, "gql_crm_graphql_request_duration_seconds_count", operation=me) == 1
    assert value(after, requests, operation="(anonymous)") > value(
        before, requests, operation="(anonymous)"
    )
    assert value(after, "gql_crm_db_pool_size") > 0
    assert ("gql_crm_db_connections_checked_out", ()) in after
    assert ("gql_crm_live_subscriptions", ()) in after


async def test_job_runs_and_failures_are_counted(
    metered: httpx.AsyncClient, app: Starlette
) -> None:
    runs = "gql_crm_job_runs_total"
    before = await scrape(metered)
    await jobs.release_pool({"services": app.state.services})
    with pytest.raises(KeyError):
        await jobs.release_pool({})  # a job that fails: arq and the scheduler see it raise
    after = await scrape(metered)
    for outcome in ("ok", "failed"):
        counted = value(after, runs, job="release_pool", outcome=outcome)
        assert counted - value(before, runs, job="release_pool", outcome=outcome) == 1


async def test_live_subscriptions_are_gauged(
    metered_app: Starlette, metered: httpx.AsyncClient
) -> None:
    token = (await GraphQLClient(metered).as_user("sales1")).token
    live = "gql_crm_live_subscriptions"
    before = value(await scrape(metered), live)
    async with live_client(metered_app, token) as client:
        await client.subscribe("subscription { instantNotices { title } }")
        for _ in range(100):  # until the server has attached it to the bus
            if value(await scrape(metered), live) == before + 1:
                break
            await asyncio.sleep(0.02)
        assert value(await scrape(metered), live) == before + 1
        assert value(await scrape(metered), "gql_crm_websocket_connections") >= 1
    for _ in range(100):
        if value(await scrape(metered), live) == before:
            break
        await asyncio.sleep(0.02)
    assert value(await scrape(metered), live) == before
