"""arq ``WorkerSettings`` for ``gql-crm worker`` (production, with Redis)."""

from __future__ import annotations

import contextlib
from datetime import UTC
from typing import Any

from arq import cron, func
from arq.connections import RedisSettings

from gql_crm.observability import metrics
from gql_crm.runtime import running
from gql_crm.settings import ConfigurationError, Settings
from gql_crm.workers.jobs import JOBS, schedules

JOB_TIMEOUT = 3600  # seconds
HEALTH_CHECK_INTERVAL = 30  # seconds; `gql-crm worker --check` fails when the key is older


def worker_settings(settings: Settings) -> dict[str, Any]:
    """arq Worker arguments: the cron jobs and the functions behind them.

    Cron jobs are ``unique`` (arq's default, kept explicit): each tick is enqueued under the
    id ``<name>:<time>``, so however many workers run, a tick runs once. The jobs themselves
    are safe to overlap as well (row locks, SKIP LOCKED, replace-by-day).
    """
    if not settings.redis_url:
        raise ConfigurationError(
            "gql-crm worker needs GQL_CRM_REDIS_URL; without Redis, gql-crm serve runs the "
            "jobs itself."
        )

    async def on_startup(ctx: dict[str, Any]) -> None:
        # arq starts and stops a worker in two callbacks: the stack holds the runtime between.
        runtime = contextlib.AsyncExitStack()
        if settings.metrics_enabled:
            exposition = metrics.serve_in_thread(settings)
            runtime.callback(exposition.server_close)
            runtime.callback(exposition.shutdown)
        ctx["services"] = await runtime.enter_async_context(running(settings))
        ctx["runtime"] = runtime

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        runtime: contextlib.AsyncExitStack | None = ctx.get("runtime")
        if runtime is not None:
            await runtime.aclose()

    return {
        # Imports and exports of large workbooks take minutes; the cron jobs keep their limit.
        "functions": [
            func(job, timeout=JOB_TIMEOUT)  # type: ignore[arg-type]
            for job in JOBS
        ],
        "cron_jobs": [
            cron(
                s.function,  # type: ignore[arg-type]
                name=s.name,
                minute=s.minute,
                second=s.second,
                microsecond=0,
                unique=True,
                keep_result=3600,
                timeout=1800,
            )
            for s in schedules(settings)
        ],
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "queue_name": settings.worker_queue,
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "health_check_interval": HEALTH_CHECK_INTERVAL,
        "timezone": UTC,
        "keep_result": 3600,
        "max_tries": 1,
    }
