"""The in-process scheduler of the embedded default: ``gql-crm serve`` without Redis runs the
job functions on the same schedule as the arq workers, one after the other."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from arq.cron import next_cron

from gql_crm.services.unit_of_work import Services
from gql_crm.workers.jobs import Schedule

logger = logging.getLogger("gql_crm.workers.scheduler")


class Scheduler:
    """Sleeps until the next tick of any schedule and runs the jobs due then.

    Ticks follow the wall clock (as arq's cron does); the jobs read ``now`` from the
    services' clock. A failing job is logged and retried at its next tick.
    """

    def __init__(self, services: Services, schedules: list[Schedule]) -> None:
        self.services = services
        self.schedules = schedules
        self._task: asyncio.Task[None] | None = None
        self.runs: dict[str, int] = {s.name: 0 for s in schedules}

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="job-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _next(self, schedule: Schedule, after: datetime) -> datetime:
        return next_cron(after, minute=schedule.minute, second=schedule.second, microsecond=0)

    async def _run(self) -> None:
        now = datetime.now(UTC)
        due = {s.name: self._next(s, now) for s in self.schedules}
        ctx: dict[str, Any] = {"services": self.services}
        while True:
            at = min(due.values())
            await asyncio.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds()))
            for schedule in self.schedules:
                if due[schedule.name] > at:
                    continue
                try:
                    await schedule.function(ctx)
                except Exception:
                    logger.exception("job %s failed", schedule.name)
                self.runs[schedule.name] += 1
                due[schedule.name] = self._next(schedule, max(at, datetime.now(UTC)))
