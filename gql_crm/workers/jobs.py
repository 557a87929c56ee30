"""The job functions and when they run.

Each takes arq's ``ctx`` (a dict holding ``services``), so arq workers and the in-process
scheduler call the very same functions; each takes its ``now`` from ``services.clock``.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from gql_crm.observability import metrics
from gql_crm.services import (
    exports,
    imports,
    job,
    mailing,
    outbox,
    pool_release,
    reminder,
    report,
    sending,
    webhook,
)
from gql_crm.services.unit_of_work import Services
from gql_crm.settings import Settings

logger = logging.getLogger("gql_crm.workers")

JobFunction = Callable[[dict[str, Any]], Awaitable[Any]]
T = TypeVar("T")


def _measured(
    job: Callable[[dict[str, Any]], Awaitable[T]],
) -> Callable[[dict[str, Any]], Awaitable[T]]:
    """``job``, its runs and failures counted and timed (``gql_crm_job_*`` metrics)."""

    @functools.wraps(job)
    async def run(ctx: dict[str, Any]) -> T:
        started = time.perf_counter()
        try:
            result = await job(ctx)
        except Exception:
            metrics.job_ran(job.__name__, started, failed=True)
            raise
        metrics.job_ran(job.__name__, started, failed=False)
        return result

    return run


def _services(ctx: dict[str, Any]) -> Services:
    services: Services = ctx["services"]
    return services


@_measured
async def release_pool(ctx: dict[str, Any]) -> int:
    """Move every customer that is due back to the public pool (F1.4)."""
    started = time.perf_counter()
    released = await pool_release.release_pool(_services(ctx))
    logger.info("release_pool: %d released in %.2fs", len(released), time.perf_counter() - started)
    return len(released)


@_measured
async def warn_pool_releases(ctx: dict[str, Any]) -> int:
    """Warn owners of customers that fall back within the warning days."""
    started = time.perf_counter()
    warned = await pool_release.warn_pool(_services(ctx))
    logger.info(
        "warn_pool_releases: %d warned in %.2fs", len(warned), time.perf_counter() - started
    )
    return len(warned)


@_measured
async def send_reminders(ctx: dict[str, Any]) -> int:
    """Turn due task and schedule reminders into notifications, each exactly once."""
    return await reminder.send_reminders(_services(ctx))


@_measured
async def nightly_report(ctx: dict[str, Any]) -> int:
    """Write yesterday's daily reports (company time) if they are not written yet."""
    started = time.perf_counter()
    written = await report.nightly(_services(ctx))
    if written is None:
        logger.debug("nightly_report: yesterday's reports exist")
        return 0
    logger.info("nightly_report: %d reports in %.2fs", written, time.perf_counter() - started)
    return written


async def run_job(ctx: dict[str, Any], job_id: int) -> None:
    """Run an import or export queued by a request (``services/job.py``)."""
    await job.run(_services(ctx), job_id)


@_measured
async def tidy_jobs(ctx: dict[str, Any]) -> int:
    """Fail jobs a dead worker left running, and remove expired job files."""
    services = _services(ctx)
    failed = await job.fail_abandoned(services, ABANDONED_AFTER)
    return failed + await job.purge_expired_files(services)


ABANDONED_AFTER = timedelta(minutes=30)
_REGISTRIES = (exports.EXPORTERS, imports.IMPORTERS)  # the job handlers register on import


@_measured
async def deliver_outbox(ctx: dict[str, Any]) -> int:
    """Send the due webhook deliveries, e-mails and SMS of the outbox."""
    return await outbox.deliver_due(_services(ctx))


# The handlers (and what settles with them) register when their modules load.
assert {webhook.KIND, sending.EMAIL, sending.SMS} <= set(outbox.HANDLERS) and mailing.SEND_BULK


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a job runs, in arq's cron terms (UTC): every listed minute and second."""

    function: JobFunction
    minute: set[int] | None  # None: every minute
    second: set[int]

    @property
    def name(self) -> str:
        return self.function.__name__


def every(seconds: int) -> tuple[set[int] | None, set[int]]:
    """(minute, second) sets for "every ``seconds``", aligned on the hour."""
    if seconds < 60:
        return None, set(range(0, 60, seconds))
    return set(range(0, 60, seconds // 60)), {0}


def schedules(settings: Settings) -> list[Schedule]:
    minute, second = every(settings.pool_release_interval_seconds)
    return [
        Schedule(release_pool, minute, second),
        # Warnings are day-grained: hourly is plenty. The report waits for the company's
        # midnight, whichever hour that is in UTC, so it looks every hour.
        Schedule(send_reminders, *every(settings.reminder_interval_seconds)),
        Schedule(deliver_outbox, *every(settings.outbox_interval_seconds)),
        Schedule(warn_pool_releases, {7}, {0}),
        Schedule(nightly_report, {20}, {0}),
        Schedule(tidy_jobs, {5, 35}, {0}),
    ]


JOBS: tuple[Callable[..., Awaitable[Any]], ...] = (
    release_pool, send_reminders, warn_pool_releases, nightly_report, tidy_jobs, run_job,
    deliver_outbox,
)  # fmt: skip
