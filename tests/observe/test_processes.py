"""`gql-crm serve` as operators run it: its log shows the jobs' progress, and /metrics adds
up every worker process."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from gql_crm.db.engine import Database
from gql_crm.settings import Settings
from tests.conftest import TEST_REDIS_URL
from tests.server_process import serve


async def _line(log: Path, wanted: str, seconds: float = 20.0) -> dict[str, str]:
    """The first JSON log line of ``log`` that contains ``wanted``, waiting for it."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        text = await asyncio.to_thread(log.read_text)
        for line in text.splitlines():
            if wanted in line:
                record: dict[str, str] = json.loads(line)
                return record
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no log line with {wanted!r}:\n{text}")
        await asyncio.sleep(0.1)


async def test_serve_logs_the_progress_of_its_jobs(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    env = {
        "GQL_CRM_SCHEDULER": "true",
        "GQL_CRM_POOL_RELEASE_INTERVAL_SECONDS": "1",
        "GQL_CRM_LOG_FORMAT": "json",
    }
    async with serve(settings, TEST_REDIS_URL, tmp_path, env=env, stderr=log):
        record = await _line(log, "release_pool:")
    assert record["logger"] == "gql_crm.workers"
    assert record["level"] == "INFO"
    assert record["message"].startswith("release_pool: ")
    assert record["time"].endswith("+00:00")
    # uvicorn's own lines go through the same handler.
    assert (await _line(log, "Application startup complete"))["logger"] == "uvicorn.error"


async def test_metrics_add_up_the_worker_processes(
    settings: Settings, database: Database, redis_url: str, tmp_path: Path
) -> None:
    env = {"GQL_CRM_METRICS_TOKEN": "several-workers"}
    requests = 40
    async with (
        serve(settings, redis_url, tmp_path, workers=2, env=env) as base,
        httpx.AsyncClient(base_url=base) as client,
    ):
        for _ in range(requests):
            answer = await client.post("/graphql", json={"query": "query Ping { __typename }"})
            assert answer.status_code == 200
        scraped = await client.get("/metrics", headers={"Authorization": "Bearer several-workers"})
    assert scraped.status_code == 200
    counted = [
        sample.value
        for family in text_string_to_metric_families(scraped.text)
        for sample in family.samples
        if sample.name == "gql_crm_graphql_requests_total"
        and sample.labels.get("operation") == "Ping"
    ]
    assert counted == [requests], "one sum over both processes"
    pools = [
        sample.value
        for family in text_string_to_metric_families(scraped.text)
        for sample in family.samples
        if sample.name == "gql_crm_db_pool_size"
    ]
    assert pools and pools[0] > 0
