"""The ``gql-crm`` command: serve, worker, migrate, seed-demo, create-admin, export-schema,
release-pool, report, bench-seed."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from gql_crm.clock import Clock, FrozenClock, SystemClock
from gql_crm.settings import ConfigurationError, Settings, load_settings


async def _prepare(settings: Settings, *, demo: bool) -> None:
    """Create defaults (and demo data when asked) in an up-to-date database."""
    from gql_crm.db.engine import Database
    from gql_crm.seed.demo import seed_demo
    from gql_crm.services.setting import ensure_defaults

    database = Database(settings)
    try:
        async with database.writer() as session, session.begin():
            await ensure_defaults(session)
        if demo:
            now = SystemClock().now()
            if await seed_demo(settings, database, password=settings.demo_password, now=now):
                click.echo(
                    "Demo data created: users admin, manager1, sales1, sales2, sales3 "
                    "(password from GQL_CRM_DEMO_PASSWORD, default 'demo-password')."
                )
    finally:
        await database.dispose()


if TYPE_CHECKING:
    from gql_crm.services.unit_of_work import Services

T = TypeVar("T")


async def _with_services(
    settings: Settings, clock: Clock, work: Callable[[Services], Awaitable[T]]
) -> T:
    """Run ``work`` with what a job needs; events reach live clients through Redis, if set."""
    from gql_crm.runtime import running

    async with running(settings, clock) as services:
        return await work(services)


def _log_progress(settings: Settings) -> None:
    from gql_crm.observability import logs

    logs.configure(settings)


def _parse_now(value: str | None) -> Clock:
    if value is None:
        return SystemClock()
    try:
        at = datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}", param_hint="--now") from error
    if at.tzinfo is None:
        raise click.BadParameter(
            "give a time zone, e.g. 2026-04-01T09:00+08:00", param_hint="--now"
        )
    return FrozenClock(at)


def _migrate(settings: Settings) -> None:
    from gql_crm.db.migrate import upgrade

    upgrade(settings)
    asyncio.run(_prepare(settings, demo=False))


class _BadConfiguration(click.ClickException):
    exit_code = 2


def _settings(**values: Any) -> Settings:
    """The settings, or an error that names each bad variable (no traceback)."""
    try:
        return load_settings(**values)
    except ConfigurationError as error:
        raise _BadConfiguration(str(error)) from None


@click.group()
def main() -> None:
    """gql-crm: a multi-user sales CRM served as one GraphQL graph."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--demo", is_flag=True, help="Create the demo company if it is missing.")
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="Log every request (behind a proxy that logs them, turn it off).",
)
def serve(host: str, port: int, workers: int, demo: bool, access_log: bool) -> None:
    """Run the GraphQL server (SQLite file and in-memory events unless configured)."""
    import uvicorn

    settings = _settings()
    if workers > 1 and not settings.redis_url:
        raise click.UsageError(
            "--workers > 1 needs GQL_CRM_REDIS_URL: live updates are broadcast in memory "
            "otherwise, and one process cannot reach subscribers connected to another."
        )
    try:
        _ = settings.signing_key  # refuse to start without a shared key
    except ConfigurationError as error:
        raise click.UsageError(str(error)) from error
    from gql_crm.observability import logs, metrics
    from gql_crm.web import processes

    if settings.metrics_enabled and workers > 1:
        metrics.prepare_processes(settings.data_dir / "metrics")
    if settings.is_sqlite:
        _migrate(settings)  # the embedded default keeps itself up to date
    if demo:
        asyncio.run(_prepare(settings, demo=True))
    click.echo(f"GraphQL at http://{host}:{port}/graphql")
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "log_level": "debug" if settings.debug else "info",
        "log_config": logs.config(settings),
        "access_log": access_log,
        # Compression buys little on small JSON events and costs ~100 KB of zlib state per
        # WebSocket connection.
        "ws_per_message_deflate": False,
        # A WebSocket message is held to the request body limit, as an HTTP request is.
        "ws_max_size": settings.max_body_bytes,
    }
    if workers > 1 and processes.own_sockets_supported():
        processes.serve(uvicorn.Config("gql_crm.app:create_app", **options), workers)
    else:
        uvicorn.run("gql_crm.app:create_app", workers=workers, **options)


@main.command()
def migrate() -> None:
    """Bring the database schema up to date and create default settings."""
    _migrate(_settings())
    click.echo("Database is up to date.")


@main.command("seed-demo")
def seed_demo() -> None:
    """Create the demo company (idempotent)."""
    settings = _settings()
    asyncio.run(_prepare(settings, demo=True))


@main.command("create-admin")
@click.option("--login-name", default="admin", show_default=True)
@click.option("--name", default="Administrator", show_default=True)
@click.password_option()
def create_admin(login_name: str, name: str, password: str) -> None:
    """Create an administrator with every permission (first set-up of a real company)."""
    from gql_crm.services.bootstrap import create_administrator

    try:
        asyncio.run(create_administrator(_settings(), login_name, name, password))
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Administrator '{login_name}' created.")


@main.command("export-schema")
def export_schema() -> None:
    """Print the GraphQL schema (SDL); the committed schema.graphql must equal it."""
    from gql_crm.schema import export_sdl

    sys.stdout.write(export_sdl())


@main.command()
@click.option("--check", is_flag=True, help="Exit 0 if a worker reported health recently.")
def worker(check: bool) -> None:
    """Run the background jobs on arq (needs GQL_CRM_REDIS_URL); start as many as needed."""
    from arq.worker import check_health, run_worker

    from gql_crm.workers.settings import worker_settings

    settings = _settings()
    try:
        arq_settings = worker_settings(settings)
    except ConfigurationError as error:
        raise click.UsageError(str(error)) from error
    if check:
        sys.exit(check_health(arq_settings))
    _log_progress(settings)
    run_worker(arq_settings)


@main.command("release-pool")
@click.option(
    "--now",
    metavar="ISO-TIME",
    help="Run as if it were this time (demos), e.g. 2026-04-01T09:00+08:00.",
)
def release_pool(now: str | None) -> None:
    """Release due customers to the public pool and send advance warnings, once, now."""
    from gql_crm.services import pool_release

    clock = _parse_now(now)
    settings = _settings()
    _log_progress(settings)

    async def work(services: Services) -> tuple[int, int]:
        released = await pool_release.release_pool(services)
        warned = await pool_release.warn_pool(services)
        return len(released), len(warned)

    released, warned = asyncio.run(_with_services(settings, clock, work))
    click.echo(
        f"{released} customers released and {warned} release warnings sent "
        f"at {clock.now():%Y-%m-%d %H:%M} UTC."
    )


@main.command()
@click.option(
    "--date",
    "day",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The company day (in the company time zone) to (re)generate.",
)
@click.option("--notify", is_flag=True, help="Also tell every user that the report is ready.")
def report(day: datetime, notify: bool) -> None:
    """(Re)generate the daily reports of one day; replaces that day's reports."""
    from gql_crm.services import report as report_service

    settings = _settings()
    _log_progress(settings)
    the_day: date = day.date()

    async def work(services: Services) -> int:
        return await report_service.generate(services, the_day, notify_users=notify)

    written = asyncio.run(_with_services(settings, SystemClock(), work))
    click.echo(f"{written} daily reports written for {the_day.isoformat()}.")


@main.command("rebuild-statistics")
def rebuild_statistics() -> None:
    """Recompute the sums and facts the statistics reports read, from the orders and
    opportunities, in one transaction.

    The server keeps them with every write; run this after orders, payments, refunds or
    opportunities were changed outside it (a restore of part of the data, SQL by hand)."""
    from gql_crm.services import statistics_rollup

    settings = _settings()
    _log_progress(settings)

    async def work(services: Services) -> None:
        async with services.database.writer() as session, session.begin():
            await statistics_rollup.rebuild(session)

    asyncio.run(_with_services(settings, SystemClock(), work))
    click.echo("Statistics sums rebuilt from the orders.")


@main.command("bench-seed")
@click.option("--customers", default=10_000, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--database-url",
    metavar="URL",
    help="PostgreSQL to rebuild (default: GQL_CRM_BENCH_DATABASE_URL, else "
    "postgresql+asyncpg://postgres@127.0.0.1:5432/gqlcrm_bench).",
)
def bench_seed(customers: int, database_url: str | None) -> None:
    """Rebuild a PostgreSQL database with the customer-view benchmark data.

    Drops every table of that database first: never point it at data you want to keep.
    """
    from gql_crm.seed.bench import SeedRefused, bench_database_url, seed_benchmark

    settings = _settings(database_url=database_url or bench_database_url(), scheduler=False)
    try:
        asyncio.run(seed_benchmark(settings, customers, report=click.echo))
    except SeedRefused as error:
        raise click.UsageError(str(error)) from error
