"""Jobs (F11): imports and exports that run in the background, as their owner.

A job is queued by a mutation and handed, once that transaction commits, to ``JobQueue``:
arq's queue when Redis is configured (``gql-crm worker`` runs it, ``workers/jobs.py``), a
task of the server's own process otherwise. ``run`` takes it from queued to running exactly
once (a row lock and a state check), runs its handler, and ends it succeeded, failed or
cancelled. Handlers report progress through ``JobRun.progress``, which also notices a
cancel: the job's row is the only place cancellation is said.

What a job does is a handler registered by subject: ``services/exports.py`` and
``services/imports.py`` hold them.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, select

from gql_crm.auth.principal import Forbidden, Principal
from gql_crm.db import visibility
from gql_crm.db.models import User
from gql_crm.db.models.job import FINISHED, Job, JobKind, JobState
from gql_crm.db.scopes import load_principal
from gql_crm.private_files import private_dir
from gql_crm.services.errors import Conflict, DomainError, NotFound
from gql_crm.services.unit_of_work import Services, UnitOfWork
from gql_crm.settings import Settings
from gql_crm.subscriptions.bus import user_channel

logger = logging.getLogger("gql_crm.jobs")

PROGRESS = "job.progress"
_KEY_LENGTH = 32


class JobCancelled(Exception):
    """The job's owner cancelled it while it ran."""


# ---- files -----------------------------------------------------------------------------------


def new_key() -> str:
    return secrets.token_hex(_KEY_LENGTH // 2)


def file_path(settings: Settings, key: str) -> Path:
    if len(key) != _KEY_LENGTH or not all(c in "0123456789abcdef" for c in key):
        raise ValueError(f"not a job file key: {key!r}")
    return settings.jobs_dir / key


def prepare_dir(settings: Settings) -> Path:
    private_dir(settings.jobs_dir)
    return settings.jobs_dir


def remove_file(settings: Settings, key: str | None) -> None:
    if key:
        file_path(settings, key).unlink(missing_ok=True)


# ---- handlers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobRun:
    """What a handler gets: the job, its owner's current rights, and ways to report."""

    services: Services
    job_id: int
    kind: JobKind
    subject: str
    principal: Principal
    parameters: dict[str, Any]
    dry_run: bool
    input_path: Path | None
    input_name: str | None

    async def progress(self, done: int, total: int | None) -> None:
        """Record and announce progress; raises ``JobCancelled`` once the job is cancelled."""
        async with UnitOfWork(self.services, None) as uow:
            job = await uow.find(Job, self.job_id)
            if job.state is JobState.CANCELLED:
                raise JobCancelled()
            job.rows_done, job.rows_total, job.updated_at = done, total, uow.now
            announce(uow, job)

    async def check_not_cancelled(self, uow: UnitOfWork) -> Job:
        """The job's row, locked in ``uow`` (the import's own transaction): a cancel either
        came before, and the import writes nothing, or waits until it committed."""
        job = await uow.find(Job, self.job_id)
        if job.state is JobState.CANCELLED:
            raise JobCancelled()
        return job


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a handler ended: its file (already in the jobs directory) and the problems."""

    succeeded: bool
    rows: int
    result_key: str | None = None
    result_name: str | None = None
    problems: tuple[dict[str, Any], ...] = ()
    problem_count: int = 0
    message: str | None = None
    job: Job | None = None  # the job's row, when the handler's own transaction ends it


Handler = Callable[[JobRun], Awaitable[Outcome]]


# ---- queue ---------------------------------------------------------------------------------


class JobQueue:
    """Where started jobs go: arq's queue (Redis configured), or a task of this process."""

    def __init__(self) -> None:
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self._pool: Any = None

    async def submit(self, services: Services, job_id: int) -> None:
        settings = services.settings
        if settings.run_jobs_in_process:
            task = asyncio.create_task(run(services, job_id), name=f"job-{job_id}")
            self.tasks[job_id] = task
            task.add_done_callback(lambda _: self.tasks.pop(job_id, None))
            return
        from arq import create_pool
        from arq.connections import RedisSettings

        if self._pool is None:
            assert settings.redis_url
            self._pool = await create_pool(RedisSettings.from_dsn(settings.redis_url))
        # arq's own job id: ids of ours repeat across databases sharing a Redis, and
        # ``run`` runs a job once whatever the queue does.
        await self._pool.enqueue_job("run_job", job_id, _queue_name=settings.worker_queue)

    async def join(self, job_id: int) -> None:
        """Wait for a job this process runs, if it still runs (tests, the benchmark)."""
        task = self.tasks.get(job_id)
        if task is not None:
            await asyncio.shield(task)

    async def close(self) -> None:
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.tasks.clear()
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None


# ---- starting, cancelling, reading ---------------------------------------------------------


def visible(principal: Principal) -> ColumnElement[bool]:
    return visibility.job(principal)


async def start(
    uow: UnitOfWork,
    kind: JobKind,
    subject: str,
    *,
    parameters: dict[str, Any] | None = None,
    dry_run: bool = False,
    input_key: str | None = None,
    input_name: str | None = None,
) -> Job:
    """Queue a job for the caller; it is handed to the queue once this unit of work commits.
    The operation log says who imported or exported what."""
    job = Job(
        kind=kind,
        subject=subject,
        owner_id=uow.principal.user_id,
        state=JobState.QUEUED,
        dry_run=dry_run,
        parameters=parameters or {},
        rows_done=0,
        input_key=input_key,
        input_name=input_name,
        problems=[],
        problem_count=0,
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(job)
    await uow.session.flush()
    logged: dict[str, Any] = {"subject": [None, subject]}
    if parameters:
        logged["parameters"] = [None, parameters]
    if kind is JobKind.IMPORT:
        logged["file"] = [None, input_name]
        logged["dryRun"] = [None, dry_run]
    uow.log("job", job.id, str(kind), logged)
    announce(uow, job)
    services = uow.services
    job_id = job.id
    uow.after_commit(lambda: services.jobs.submit(services, job_id))
    return job


async def cancel(uow: UnitOfWork, job_id: int) -> Job:
    """Cancel a queued or running job of the caller's (or, for administrators, anyone's)."""
    job = await uow.find(Job, job_id, visible(uow.principal), label="Job")
    if job.state in FINISHED:
        raise Conflict(f"Job {job_id} has already ended ({job.state}).", "id")
    _end(uow, job, JobState.CANCELLED, "Cancelled.")
    uow.log("job", job.id, "cancel", {"state": [None, str(JobState.CANCELLED)]})
    return job


async def get(services: Services, principal: Principal, job_id: int) -> Job | None:
    async with services.database.reader() as session:
        job: Job | None = await session.scalar(
            select(Job).where(Job.id == job_id, visible(principal))
        )
        return job


def jobs_query(principal: Principal, kind: JobKind | None = None) -> Any:
    stmt = select(Job).where(visible(principal))
    if kind is not None:
        stmt = stmt.where(Job.kind == kind)
    return stmt


async def downloadable(
    services: Services, principal: Principal, job_id: int
) -> tuple[Path, str] | None:
    """A job's file and its name, for its owner or an administrator, while it has not
    expired (None says nothing more)."""
    job = await get(services, principal, job_id)
    if job is None:
        return None
    key, name = job.result_key, job.result_name
    if key is None or name is None:
        return None
    if job.expires_at is not None and services.clock.now() >= job.expires_at:
        return None
    path = file_path(services.settings, key)
    if not await asyncio.to_thread(path.is_file):
        return None
    return path, name


def announce(uow: UnitOfWork, job: Job) -> None:
    """Tell the job's owner where it stands (the ``jobProgress`` subscription)."""
    uow.emit(
        user_channel(job.owner_id),
        PROGRESS,
        job.id,
        {
            "jobId": job.id,
            "state": str(job.state),
            "rowsDone": job.rows_done,
            "rowsTotal": job.rows_total,
            "problemCount": job.problem_count,
        },
    )


# ---- running -------------------------------------------------------------------------------

HANDLERS: dict[tuple[JobKind, str], Handler] = {}


def handler(kind: JobKind, subject: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        HANDLERS[(kind, subject)] = function
        return function

    return register


async def _claim(services: Services, job_id: int) -> JobRun | None:
    async with UnitOfWork(services, None) as uow:
        job = await uow.session.scalar(select(Job).where(Job.id == job_id).with_for_update())
        if job is None or job.state is not JobState.QUEUED:
            return None  # cancelled before it started, or run already: never twice
        token_version = await uow.session.scalar(
            select(User.token_version).where(User.id == job.owner_id)
        )
        principal = (
            await load_principal(uow.session, job.owner_id, token_version)
            if token_version is not None
            else None
        )
        job.started_at = job.updated_at = uow.now
        if principal is None:
            _end(uow, job, JobState.FAILED, "Its owner may no longer act.")
            return None
        job.state = JobState.RUNNING
        announce(uow, job)
        settings = services.settings
        return JobRun(
            services=services,
            job_id=job.id,
            kind=job.kind,
            subject=job.subject,
            principal=principal,
            parameters=dict(job.parameters or {}),
            dry_run=job.dry_run,
            input_path=file_path(settings, job.input_key) if job.input_key else None,
            input_name=job.input_name,
        )


def _end(uow: UnitOfWork, job: Job, state: JobState, message: str | None) -> None:
    job.state = state
    job.message = message
    job.finished_at = job.updated_at = uow.now
    job.expires_at = uow.now + timedelta(hours=uow.services.settings.job_file_hours)
    announce(uow, job)


def finish(uow: UnitOfWork, job: Job, outcome: Outcome) -> None:
    """End ``job`` with ``outcome`` in ``uow``."""
    job.rows_done = outcome.rows
    if outcome.rows:
        job.rows_total = outcome.rows
    job.result_key, job.result_name = outcome.result_key, outcome.result_name
    job.problems = list(outcome.problems)
    job.problem_count = outcome.problem_count
    state = JobState.SUCCEEDED if outcome.succeeded else JobState.FAILED
    _end(uow, job, state, outcome.message)


async def run(services: Services, job_id: int) -> None:
    """Run a queued job to its end (arq's ``run_job`` and the in-process queue call this)."""
    job_run = await _claim(services, job_id)
    if job_run is None:
        return
    try:
        await _run_handler(services, job_run)
    finally:
        if job_run.input_path is not None:  # the upload is read once: kept no longer
            job_run.input_path.unlink(missing_ok=True)


async def _run_handler(services: Services, job_run: JobRun) -> None:
    job_id = job_run.job_id
    function = HANDLERS.get((job_run.kind, job_run.subject))
    try:
        if function is None:
            raise DomainError(f"Nothing can run a {job_run.kind} of {job_run.subject}.")
        outcome = await function(job_run)
    except JobCancelled:
        logger.info("job %s cancelled", job_id)
        return
    except DomainError as error:
        outcome = Outcome(False, 0, message=error.message)
    except Forbidden as error:  # its owner lost the right since starting it
        outcome = Outcome(False, 0, message=error.message)
    except Exception:
        logger.exception("job %s failed", job_id)
        outcome = Outcome(False, 0, message="The job failed on an internal error.")
    if outcome.job is not None:
        return  # the handler's own transaction ended it
    try:
        async with UnitOfWork(services, None) as uow:
            job = await uow.find(Job, job_id)
            if job.state is JobState.CANCELLED:
                remove_file(services.settings, outcome.result_key)
                return
            finish(uow, job, outcome)
    except NotFound:
        remove_file(services.settings, outcome.result_key)


async def fail_abandoned(services: Services, older_than: timedelta) -> int:
    """End jobs left running by a worker that died (no progress for ``older_than``): their
    imports wrote nothing, since an import writes in one transaction."""
    async with UnitOfWork(services, None) as uow:
        stale = list(
            await uow.session.scalars(
                select(Job)
                .where(Job.state == JobState.RUNNING, Job.updated_at < uow.now - older_than)
                .with_for_update()
            )
        )
        for job in stale:
            _end(uow, job, JobState.FAILED, "The worker running it stopped; nothing was written.")
    return len(stale)


async def purge_expired_files(services: Services) -> int:
    """Remove the files of jobs past their expiry (the rows stay, without their files)."""
    async with UnitOfWork(services, None) as uow:
        expired = list(
            await uow.session.scalars(
                select(Job).where(
                    Job.expires_at < uow.now,
                    (Job.result_key.is_not(None)) | (Job.input_key.is_not(None)),
                )
            )
        )
        keys = [k for job in expired for k in (job.result_key, job.input_key) if k]
        for job in expired:
            job.result_key = job.input_key = None
    for key in keys:
        await asyncio.to_thread(remove_file, services.settings, key)
    return len(expired)
