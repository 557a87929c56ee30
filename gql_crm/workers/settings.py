"""arq ``WorkerSettings`` for ``gql-crm worker`` (production, with Redis)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from arq import cron
from arq.connections import RedisSettings

from gql_crm.clock import SystemClock
from gql_crm.db.engine import Database
from gql_crm.services.unit_of_work import Services
from gql_crm.settings import ConfigurationError, Settings
from gql_crm.subscriptions.bus import Bus
from gql_crm.workers.jobs import JOBS, schedules

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
        bus = Bus(settings.broadcast_url, namespace=settings.bus_namespace)
        await bus.connect()
        ctx["services"] = Services(
            settings=settings, database=Database(settings), clock=SystemClock(), bus=bus
        )

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        services: Services | None = ctx.get("services")
        if services is not None:
            await services.bus.disconnect()
            await services.database.dispose()

    return {
        "functions": list(JOBS),
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
