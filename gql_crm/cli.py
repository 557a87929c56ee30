"""The ``gql-crm`` command: serve, migrate, seed-demo, create-admin, export-schema."""

from __future__ import annotations

import asyncio
import sys

import click

from gql_crm.clock import SystemClock
from gql_crm.settings import ConfigurationError, Settings


async def _prepare(settings: Settings, *, demo: bool) -> None:
    """Create defaults (and demo data when asked) in an up-to-date database."""
    from gql_crm.db.engine import Database
    from gql_crm.services.demo import seed_demo
    from gql_crm.services.setting import ensure_defaults

    database = Database(settings)
    try:
        async with database.writer() as session, session.begin():
            await ensure_defaults(session)
            if demo:
                created = await seed_demo(
                    session, password=settings.demo_password, now=SystemClock().now()
                )
                if created:
                    click.echo(
                        "Demo data created: users admin, manager1, sales1, sales2, sales3 "
                        "(password from GQL_CRM_DEMO_PASSWORD, default 'demo-password')."
                    )
    finally:
        await database.dispose()


def _migrate(settings: Settings) -> None:
    from gql_crm.db.migrate import upgrade

    upgrade(settings)
    asyncio.run(_prepare(settings, demo=False))


@click.group()
def main() -> None:
    """gql-crm: a multi-user sales CRM served as one GraphQL graph."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--demo", is_flag=True, help="Create the demo company if it is missing.")
def serve(host: str, port: int, workers: int, demo: bool) -> None:
    """Run the GraphQL server (SQLite file and in-memory events unless configured)."""
    import uvicorn

    settings = Settings()
    if workers > 1 and not settings.redis_url:
        raise click.UsageError(
            "--workers > 1 needs GQL_CRM_REDIS_URL: live updates are broadcast in memory "
            "otherwise, and one process cannot reach subscribers connected to another."
        )
    try:
        _ = settings.signing_key  # refuse to start without a shared key
    except ConfigurationError as error:
        raise click.UsageError(str(error)) from error
    if settings.is_sqlite:
        _migrate(settings)  # the embedded default keeps itself up to date
    if demo:
        asyncio.run(_prepare(settings, demo=True))
    click.echo(f"GraphQL at http://{host}:{port}/graphql")
    uvicorn.run(
        "gql_crm.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="debug" if settings.debug else "info",
        # Compression buys little on small JSON events and costs ~100 KB of zlib state per
        # WebSocket connection.
        ws_per_message_deflate=False,
    )


@main.command()
def migrate() -> None:
    """Bring the database schema up to date and create default settings."""
    _migrate(Settings())
    click.echo("Database is up to date.")


@main.command("seed-demo")
def seed_demo() -> None:
    """Create the demo company (idempotent)."""
    settings = Settings()
    asyncio.run(_prepare(settings, demo=True))


@main.command("create-admin")
@click.option("--login-name", default="admin", show_default=True)
@click.option("--name", default="Administrator", show_default=True)
@click.password_option()
def create_admin(login_name: str, name: str, password: str) -> None:
    """Create an administrator with every permission (first set-up of a real company)."""
    from gql_crm.services.bootstrap import create_administrator

    try:
        asyncio.run(create_administrator(Settings(), login_name, name, password))
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Administrator '{login_name}' created.")


@main.command("export-schema")
def export_schema() -> None:
    """Print the GraphQL schema (SDL); the committed schema.graphql must equal it."""
    from gql_crm.schema import export_sdl

    sys.stdout.write(export_sdl())
