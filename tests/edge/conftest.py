"""Applications with edge settings of their own (origins, limits, caps) for one test."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette

from gql_crm.app import create_app
from gql_crm.clock import FrozenClock
from gql_crm.settings import Settings
from tests.fixtures.live_server import started


@contextlib.asynccontextmanager
async def edge_app(
    settings: Settings, clock: FrozenClock, **changes: Any
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    """An application on the test database with these settings changed, and a client.

    Its own bus namespace keeps its rate counters (in Redis, when configured) apart from
    every other test's.
    """
    changed = settings.model_copy(
        update={"bus_namespace": f"gql-crm-edge-{uuid.uuid4().hex[:12]}", **changes}
    )
    application = create_app(changed, clock=clock)
    async with started(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield application, client
