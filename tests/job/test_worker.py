"""Jobs on a real arq worker process (with Redis): run once, and a worker killed mid-import
(SIGKILL) leaves nothing half-written and never runs the import twice."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest

from gql_crm.clock import SystemClock
from gql_crm.db.models import Customer
from gql_crm.db.models.job import Job, JobState
from gql_crm.services import job as job_service
from gql_crm.services.unit_of_work import Services
from gql_crm.settings import Settings
from tests.fixtures.factories import count
from tests.graphql_client import GraphQLClient
from tests.job.support import EXPORT, post_import, workbook


@pytest.fixture
def on_a_worker(settings: Settings, redis_url: str) -> Iterator[dict[str, str]]:
    """Jobs go to arq's queue (a queue of this test's own); the worker's environment."""
    queue = f"gql-crm:test:{uuid.uuid4().hex}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "jobs_in_process", False)
        patch.setattr(settings, "worker_queue", queue)
        yield {
            **os.environ,
            "GQL_CRM_DATABASE_URL": settings.resolved_database_url,
            "GQL_CRM_REDIS_URL": redis_url,
            "GQL_CRM_SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
            "GQL_CRM_DATA_DIR": str(settings.data_dir),
            "GQL_CRM_WORKER_QUEUE": queue,
            "GQL_CRM_BUS_NAMESPACE": settings.bus_namespace,
        }


@contextlib.asynccontextmanager
async def worker(env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gql_crm", "worker", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def _state(services: Services, job_id: int) -> tuple[JobState, int]:
    async with services.database.reader() as session:
        job = await session.get(Job, job_id)
        assert job is not None
        return job.state, job.rows_done


async def _until(services: Services, job_id: int, done: set[JobState], rows: int = 0) -> JobState:
    for _ in range(1200):  # polls the database: the worker is another process
        state, rows_done = await _state(services, job_id)
        if state in done and rows_done >= rows:
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} is still {state}")


async def test_a_worker_process_runs_an_export(
    admin: GraphQLClient, services: Services, on_a_worker: dict[str, str]
) -> None:
    started = (await admin.data(EXPORT, kind="CUSTOMERS", filter=None))["result"]
    job_id = started["job"]["id"]
    async with worker(on_a_worker):
        finished = await _until(services, job_id, {JobState.SUCCEEDED, JobState.FAILED})
    assert finished is JobState.SUCCEEDED


async def test_a_worker_killed_mid_import_leaves_nothing_and_never_runs_it_twice(
    admin: GraphQLClient, services: Services, on_a_worker: dict[str, str]
) -> None:
    rows = [[f"Customer {i}", f"Person {i}"] for i in range(30_000)]
    content = workbook(["Name", "Contact name"], *rows)
    started = await post_import(admin, "ENTERPRISE_CUSTOMERS", content, dry_run=False)
    job_id = started["job"]["id"]
    async with worker(on_a_worker) as process:
        await _until(services, job_id, {JobState.RUNNING}, rows=2000)
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert await count(services, Customer) == 0
    assert (await _state(services, job_id))[0] is JobState.RUNNING
    # Should arq deliver the job again, it does not run twice: it is no longer queued.
    await job_service.run(services, job_id)
    assert await count(services, Customer) == 0
    # The tidying job ends it (the worker wrote its progress on the real clock).
    real_time = dataclasses.replace(services, clock=SystemClock())
    assert await job_service.fail_abandoned(real_time, timedelta(0)) == 1
    assert (await _state(services, job_id))[0] is JobState.FAILED
    assert await count(services, Customer) == 0
