"""Running Alembic from code: no alembic.ini to find, same call for CLI, server and tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from gql_crm.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", settings.resolved_database_url)
    return config


def upgrade(settings: Settings) -> None:
    """Bring the database to the newest schema (blocking; call from sync code)."""
    command.upgrade(alembic_config(settings), "head")
