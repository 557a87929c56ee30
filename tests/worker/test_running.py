"""The two ways jobs run: a real arq worker process (with Redis) and the in-process scheduler
of the embedded default; both on a short release interval, against the test database."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from gql_crm.app import create_app
from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from gql_crm.db.models import Customer, Pool, Task
from gql_crm.services.unit_of_work import Services
from gql_crm.settings import Settings
from gql_crm.workers.scheduler import Scheduler
from tests.fixtures.factories import Seed, seed_customers
from tests.fixtures.live_server import started
from tests.fixtures.users import user_id
from tests.worker.support import notifications

DAY = timedelta(days=1)


async def _pool_of(database: Database, customer_id: int) -> Pool | None:
    async with database.reader() as session:
        return await session.scalar(select(Customer.pool).where(Customer.id == customer_id))


async def _wait_until_public(database: Database, customer_id: int, seconds: float) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await _pool_of(database, customer_id) is Pool.PUBLIC:
            return True
        await asyncio.sleep(0.2)
    return False


def test_the_server_schedules_jobs_only_without_redis() -> None:
    assert Settings(database_url="sqlite+aiosqlite:///x").scheduler_enabled
    assert not Settings(redis_url="redis://127.0.0.1:6379/0").scheduler_enabled
    assert Settings(redis_url="redis://127.0.0.1:6379/0", scheduler=True).scheduler_enabled


async def test_the_embedded_scheduler_runs_the_release_job(
    settings: Settings, services: Services, clock: FrozenClock
) -> None:
    owner = await user_id(services, "sales1")
    ids = await seed_customers(
        services, [Seed("due", Pool.TEMPORARY, owner, clock.now() - 8 * DAY)], clock.now()
    )
    embedded = settings.model_copy(update={"scheduler": True, "pool_release_interval_seconds": 1})
    app = create_app(embedded, clock=clock)
    async with started(app):
        scheduler: Scheduler = app.state.scheduler
        assert scheduler is not None
        assert await _wait_until_public(services.database, ids["due"], 10)
        # The run is counted when the job returns, a moment after its commit.
        for _ in range(200):
            if scheduler.runs["release_pool"] >= 1:
                break
            await asyncio.sleep(0.05)
        assert scheduler.runs["release_pool"] >= 1
    assert await notifications(services, "customer.released") == [(owner, ids["due"])]


async def test_an_arq_worker_process_runs_a_cron_tick_end_to_end(
    settings: Settings, services: Services, redis_url: str
) -> None:
    # The worker runs on the real clock: make the customer due by real time.
    real_now = datetime.now(UTC)
    owner = await user_id(services, "sales1")
    ids = await seed_customers(
        services, [Seed("due", Pool.TEMPORARY, owner, real_now - 8 * DAY)], real_now
    )
    async with services.database.writer() as session, session.begin():
        task = Task(
            customer_id=ids["due"],
            owner_id=owner,
            content="Call back",
            due_at=real_now + DAY,
            remind_at=real_now - timedelta(minutes=1),
            created_at=real_now,
            updated_at=real_now,
        )
        session.add(task)
        await session.flush()
        task_id = task.id
    env = {
        **os.environ,
        "GQL_CRM_DATABASE_URL": settings.resolved_database_url,
        "GQL_CRM_REDIS_URL": redis_url,
        "GQL_CRM_SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        "GQL_CRM_DATA_DIR": str(settings.data_dir),
        "GQL_CRM_POOL_RELEASE_INTERVAL_SECONDS": "1",
        "GQL_CRM_REMINDER_INTERVAL_SECONDS": "1",
        "GQL_CRM_WORKER_QUEUE": f"gql-crm:test:{uuid.uuid4().hex}",
        "GQL_CRM_BUS_NAMESPACE": settings.bus_namespace,
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gql_crm",
        "worker",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert await _wait_until_public(services.database, ids["due"], 30)
        for _ in range(150):  # the reminder tick runs every second too
            if await notifications(services, "task_reminder"):
                break
            await asyncio.sleep(0.1)
        check = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gql_crm", "worker", "--check", env=env
        )
        assert await asyncio.wait_for(check.wait(), 30) == 0
    finally:
        worker.terminate()
        output, _ = await asyncio.wait_for(worker.communicate(), 30)
    log = output.decode()
    assert "release_pool: 1 released" in log, log
    assert await notifications(services, "customer.released") == [(owner, ids["due"])]
    assert await notifications(services, "task_reminder") == [(owner, task_id)]
