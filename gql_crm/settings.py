"""Runtime configuration, read from the environment (prefix ``GQL_CRM_``)."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigurationError(RuntimeError):
    """The configuration cannot work; the message says what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GQL_CRM_", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str = ""
    redis_url: str | None = None
    # Prefix of every live-update channel in Redis: deployments sharing a Redis need their own.
    bus_namespace: str = "gql-crm"
    secret_key: str | None = None
    debug: bool = False

    # None means "on in debug mode and in the embedded (SQLite) configuration".
    graphiql: bool | None = None
    introspection: bool | None = None
    allowed_origins: list[str] = Field(default_factory=list)

    token_ttl_minutes: int = Field(default=12 * 60, gt=0)
    # Wrong passwords for one login name from one client (address; IPv6 by /64) within the
    # window, after which that client waits out the lockout; other clients carry on (see
    # services/auth.py for the cap on failures from all clients together).
    login_max_failures: int = Field(default=5, gt=0)
    login_lockout_minutes: int = Field(default=15, gt=0)

    max_query_depth: int = Field(default=12, gt=0)
    max_aliases: int = Field(default=30, gt=0)
    max_tokens: int = Field(default=4000, gt=0)
    max_page_size: int = Field(default=100, gt=0)
    default_page_size: int = Field(default=20, gt=0)
    max_subscriptions_per_connection: int = Field(default=20, gt=0)

    # Connections per process: as many as the requests it serves at once (each holds one only
    # while it reads or writes), so that the overflow, opened and closed per use, stays idle.
    db_pool_size: int = Field(default=20, gt=0)
    # On PostgreSQL, answer queries that compiled reads (gql_crm/direct/) can plan with one SQL
    # statement (off: every query runs through Strawberry and the loaders; the answers are the
    # same).
    compiled_reads: bool = True

    # Background jobs. None: the server runs them itself unless Redis is configured (then
    # `gql-crm worker` does, on arq).
    scheduler: bool | None = None
    pool_release_interval_seconds: int = Field(default=300, gt=0)
    reminder_interval_seconds: int = Field(default=60, gt=0)
    worker_queue: str = "gql-crm:jobs"
    demo_password: str = "demo-password"

    # Attachment files live on disk; the database holds their metadata and a random key.
    attachments_dir: Path = Field(default_factory=lambda data: data["data_dir"] / "attachments")
    max_attachment_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    attachment_content_types: list[str] = Field(
        default_factory=lambda: [
            "application/pdf",
            "image/png",
            "image/jpeg",
            "text/plain",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/msword",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ]
    )

    # Observability (gql_crm/observability/). Metrics are off until a token is set; then
    # /metrics (and a worker's own port) answer only with "Authorization: Bearer <token>".
    metrics_token: SecretStr | None = None
    worker_metrics_port: int = Field(default=9108, gt=0, lt=65536)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["plain", "json"] = "plain"
    # Spans of requests, operations, SQL and Redis: to the console, or over OTLP/HTTP to
    # tracing_endpoint (default: the OTEL_EXPORTER_OTLP_* variables, else localhost:4318).
    tracing: Literal["off", "console", "otlp"] = "off"
    tracing_endpoint: str | None = None

    @field_validator("pool_release_interval_seconds", "reminder_interval_seconds")
    @classmethod
    def _aligned_on_the_hour(cls, value: int) -> int:
        whole_minutes = value % 60 == 0 and 60 % (value // 60) == 0
        if not (value < 60 and 60 % value == 0) and not whole_minutes:
            raise ValueError("must divide a minute (e.g. 10) or an hour in whole minutes (300)")
        return value

    @property
    def scheduler_enabled(self) -> bool:
        return self.scheduler if self.scheduler is not None else not self.redis_url

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'gql-crm.sqlite3'}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def is_embedded(self) -> bool:
        return self.is_sqlite and not self.redis_url

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else self.debug or self.is_embedded

    @property
    def introspection_enabled(self) -> bool:
        if self.introspection is not None:
            return self.introspection
        return self.debug or self.is_embedded

    @property
    def metrics_enabled(self) -> bool:
        return bool(self.metrics_token and self.metrics_token.get_secret_value())

    @property
    def broadcast_url(self) -> str:
        return self.redis_url or "memory://"

    @cached_property
    def signing_key(self) -> str:
        """The token signing key.

        Production must configure it (every server process has to share it). The embedded
        default keeps a generated key beside its SQLite file so tokens survive restarts.
        """
        if self.secret_key:
            return self.secret_key
        if not self.is_sqlite:
            raise ConfigurationError(
                "GQL_CRM_SECRET_KEY must be set when GQL_CRM_DATABASE_URL points to a server "
                "database: every server process has to sign tokens with the same key."
            )
        key_file = self.data_dir / "secret_key"
        if not key_file.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return key_file.read_text().strip()
