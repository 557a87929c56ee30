"""Logging of the long-running commands (``serve``, ``worker``) and the one-shot jobs: one
handler on standard error, plain lines or JSON lines, uvicorn's loggers included."""

from __future__ import annotations

import logging.config
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS

from gql_crm.settings import Settings

PLAIN = "%(asctime)s %(levelname)s %(name)s %(message)s"


def config(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary (uvicorn applies it in each of its worker
    processes)."""
    formatter: dict[str, Any] = {"format": PLAIN}
    if settings.log_format == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
            # uvicorn adds a copy of some messages with terminal colours.
            "reserved_attrs": [*RESERVED_ATTRS, "color_message"],
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": settings.log_level, "handlers": ["stderr"]},
        # uvicorn's own handlers would print its lines in its own format: they go through
        # the root's instead.
        "loggers": {
            name: {"handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure(settings: Settings) -> None:
    logging.config.dictConfig(config(settings))
