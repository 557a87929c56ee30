"""Runtime configuration, read from the environment (prefix ``GQL_CRM_``)."""

from __future__ import annotations

import json
import secrets
import types
import typing
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import annotated_types
from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from gql_crm.private_files import private_dir, write_private

ENV_PREFIX = "GQL_CRM_"


class ConfigurationError(RuntimeError):
    """The configuration cannot work; the message says what to set."""


def _split_list(value: object) -> object:
    """A list from the environment: a JSON list, or items separated by commas."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValueError('is not a valid JSON list: give a,b or ["a", "b"]') from None
    return [item.strip() for item in text.split(",") if item.strip()]


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(value: str) -> str:
    """An origin as browsers send it (lowercase, without a default port), or ValueError."""
    if value == "*":
        return value
    parts = urlsplit(value.strip())
    port = parts.port  # ValueError when it is not a number
    if (
        parts.scheme.lower() not in _DEFAULT_PORTS
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise ValueError(value)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    scheme = parts.scheme.lower()
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


# A list of strings that takes "a,b" as well as '["a", "b"]' from the environment.
StrList = Annotated[list[str], NoDecode, BeforeValidator(_split_list)]


def _blank_is_none(value: object) -> object:
    """An empty variable means "not set" (``GQL_CRM_DB_RANDOM_PAGE_COST=``)."""
    return None if isinstance(value, str) and not value.strip() else value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

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
    # Browser origins (https://crm.example.com) whose pages may call the API over HTTP (CORS)
    # and open WebSockets.
    allowed_origins: StrList = Field(default_factory=list)

    token_ttl_minutes: int = Field(default=12 * 60, gt=0)
    # Wrong passwords for one login name from one client (address; IPv6 by /64) within the
    # window, after which that client waits out the lockout; other clients carry on (see
    # services/auth.py for the cap on failures from all clients together).
    login_max_failures: int = Field(default=5, gt=0)
    login_lockout_minutes: int = Field(default=15, gt=0)

    max_query_depth: int = Field(default=12, gt=0)
    max_aliases: int = Field(default=30, gt=0)
    # The estimated fields and records one operation may read (gql_crm/schema/cost.py).
    max_query_cost: int = Field(default=50_000, gt=0)
    max_tokens: int = Field(default=4000, gt=0)
    max_page_size: int = Field(default=100, gt=0)
    default_page_size: int = Field(default=20, gt=0)
    max_subscriptions_per_connection: int = Field(default=20, gt=0)

    # Request bodies other than uploads (JSON) over this many bytes are refused with 413
    # before they are read; uploads have their own cap (max_attachment_bytes plus room for
    # the multipart envelope, see web/uploads.py).
    max_body_bytes: int = Field(default=4 * 1024 * 1024, gt=0)
    # Open WebSocket connections per user, and connections per client address that have
    # not sent connection_init yet (per server process); more are closed with 4429.
    max_connections_per_user: int = Field(default=20, gt=0)
    max_pending_connections_per_client: int = Field(default=50, gt=0)
    # Requests (HTTP, and operations over WebSocket) per signed-in user, in the notation of
    # the `limits` library ("20/second;600/minute"); empty: no limit. Counted in Redis when
    # it is configured (shared by every process), in memory otherwise.
    rate_limit: str = "20/second;600/minute"

    # GraphQL over HTTP (gql_crm/web/persisted.py, gql_crm/web/graphql_view.py): a JSON array
    # of operations runs only with batching on, and then at most that many.
    batching: bool = False
    max_batch_operations: int = Field(default=10, gt=0)
    # Automatic persisted queries: documents kept in Redis (with an expiry) when configured,
    # in a per-process LRU of that many documents otherwise.
    persisted_query_cache_size: int = Field(default=1000, gt=0)
    persisted_query_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    # Trusted documents: a JSON file of sha256 -> document from the front end's build; when
    # set, only those operations run (over HTTP and WebSocket) and nothing is registered.
    trusted_documents: Path | None = None

    # Connections per process: as many as the requests it serves at once (each holds one only
    # while it reads or writes), so that the overflow, opened and closed per use, stays idle.
    db_pool_size: int = Field(default=20, gt=0)
    # Statements one process sends straight to PostgreSQL at once (compiled reads and the
    # principals they check); the others wait their turn, in order. PostgreSQL runs as many
    # at a time as it has cores: more in flight only share them, and the unluckiest request
    # waits longest (list page, two processes on two cores, 16 connections: p99 38-47 ms
    # with no limit, 20-22 ms with 2; bench/README.md). Raise it when PostgreSQL has cores
    # of its own to spare for each server process.
    db_statements_at_once: int = Field(default=2, gt=0)
    # What PostgreSQL's planner takes a page read out of order to cost on our connections,
    # against 1 for one in order. PostgreSQL's own 4 models spinning disks; on SSDs, or with
    # the data in memory, it makes the planner scan whole tables where an index reads a few
    # rows (the workbench's visible orders). None keeps the server's setting.
    db_random_page_cost: Annotated[float | None, BeforeValidator(_blank_is_none)] = Field(
        default=1.1, gt=0
    )
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
    # The outbox (webhooks, e-mail, SMS): how often the workers look for due messages, how
    # many one pass claims, how many are in flight at once, and how long a claim holds before
    # another worker may retry a message whose worker died.
    outbox_interval_seconds: int = Field(default=1, gt=0)
    outbox_batch: int = Field(default=200, gt=0)
    outbox_concurrency: int = Field(default=50, gt=0)
    outbox_lease_seconds: int = Field(default=120, gt=0)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    # An endpoint failing every delivery for this long is disabled (its owner is told).
    webhook_disable_after_days: int = Field(default=5, gt=0)
    # E-mail goes out through this SMTP server ("tls": implicit TLS, usually port 465;
    # "starttls": upgraded, usually 587); without a host, e-mails are only logged.
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, gt=0)
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    mail_from: str = "crm@localhost"
    # SMS: "log" (the embedded default) records messages instead of sending them; "http"
    # POSTs {"to", "text", "id"} as JSON to sms_url with sms_token as a bearer token.
    sms_provider: Literal["log", "http"] = "log"
    sms_url: str | None = None
    sms_token: SecretStr | None = None
    # Messages a user may send to customers per company day, unless an administrator set
    # another number for them.
    message_daily_limit: int = Field(default=5000, ge=0)
    demo_password: str = "demo-password"

    # Attachment and document files live on disk ("local") or in a bucket of an S3-compatible
    # object store ("s3"); the database holds their metadata and a random key.
    storage: Literal["local", "s3"] = "local"
    attachments_dir: Path = Field(default_factory=lambda data: data["data_dir"] / "attachments")
    documents_dir: Path = Field(default_factory=lambda data: data["data_dir"] / "documents")
    s3_bucket: str | None = None
    s3_endpoint: str | None = None  # None: AWS itself; else e.g. http://127.0.0.1:9000
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None  # None: the AWS_* variables or the instance's role
    s3_secret_access_key: SecretStr | None = None
    s3_prefix: str = ""  # object names are <prefix><attachments|documents>/<key>
    # Documents: the largest file, and how much one user may upload in all.
    max_document_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    document_quota_bytes: int = Field(default=1024 * 1024 * 1024, gt=0)
    max_attachment_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    attachment_content_types: StrList = Field(
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

    # Imports and exports (gql_crm/services/job.py): run by `gql-crm worker` when Redis is
    # configured, else in the server's own process (None: decide by GQL_CRM_REDIS_URL). An
    # import's workbook is refused past max_import_bytes or max_import_rows data rows; job
    # files are kept job_file_hours after the job ends.
    jobs_in_process: bool | None = None
    max_import_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_import_rows: int = Field(default=200_000, gt=0)
    job_file_hours: int = Field(default=72, gt=0)

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

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        try:
            return sorted({_origin(origin) for origin in value})
        except ValueError:
            raise ValueError(
                "each origin is a scheme, a host and an optional port, without a path "
                "(https://crm.example.com, http://localhost:3000), or *"
            ) from None

    @field_validator("rate_limit")
    @classmethod
    def _rates(cls, value: str) -> str:
        if value.strip():
            from limits import parse_many  # only here: the library costs 80 ms to import

            try:
                parse_many(value)
            except ValueError:
                raise ValueError(
                    "give rates such as 20/second;600/minute (per second, minute, hour or "
                    "day, separated by ;), or leave it empty for no limit"
                ) from None
        return value.strip()

    @field_validator(
        "pool_release_interval_seconds", "reminder_interval_seconds", "outbox_interval_seconds"
    )
    @classmethod
    def _aligned_on_the_hour(cls, value: int) -> int:
        whole_minutes = value % 60 == 0 and 60 % (value // 60) == 0
        if not (value < 60 and 60 % value == 0) and not whole_minutes:
            raise ValueError("must divide a minute (e.g. 10) or an hour in whole minutes (300)")
        return value

    @property
    def run_jobs_in_process(self) -> bool:
        return self.jobs_in_process if self.jobs_in_process is not None else not self.redis_url

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

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
            private_dir(self.data_dir)
            write_private(key_file, secrets.token_urlsafe(48).encode())
        return key_file.read_text().strip()


def load_settings(**values: Any) -> Settings:
    """The settings from the environment (``values`` take precedence); a bad one raises
    ``ConfigurationError`` naming each variable at fault and the form it takes."""
    try:
        return Settings(**values)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            if item["type"] == "default_factory_not_called":
                continue  # a default made from another setting that is itself at fault
            name = str(item["loc"][0]) if item["loc"] else ""
            field = Settings.model_fields.get(name)
            variable = f"{ENV_PREFIX}{name.upper()}"
            given = item.get("input")
            shown = f"={given!r}" if isinstance(given, str | int | float | list) else ""
            message = str(item["msg"]).removeprefix("Value error, ")
            # Our validators say what they expect; pydantic's type errors do not.
            own = item["type"] == "value_error"
            form = f" (expected {_form(field)})" if field is not None and not own else ""
            problems.append(f"{variable}{shown}: {message}{form}")
        raise ConfigurationError("Invalid configuration:\n  " + "\n  ".join(problems)) from None
    except SettingsError as error:  # a value the environment source could not decode
        raise ConfigurationError(f"Invalid configuration: {error}") from None


def _form(field: FieldInfo) -> str:
    """What a setting's value looks like, from its type and bounds."""
    kinds = [field.annotation]
    if typing.get_origin(field.annotation) in (typing.Union, types.UnionType):
        kinds = list(typing.get_args(field.annotation))
    form = " or ".join(_type_form(kind) for kind in kinds if kind is not type(None))
    for bound in field.metadata:
        if isinstance(bound, annotated_types.Gt):
            form += f" greater than {bound.gt}"
        elif isinstance(bound, annotated_types.Ge):
            form += f" of at least {bound.ge}"
    return form + (", or unset" if type(None) in kinds else "")


def _type_form(annotation: object) -> str:
    if annotation is bool:
        return "true or false"
    if annotation is int:
        return "a whole number"
    if annotation is float:
        return "a number"
    if annotation is Path:
        return "a file system path"
    if typing.get_origin(annotation) is list:
        return 'a comma-separated list (a,b) or a JSON list (["a", "b"])'
    return "text"
