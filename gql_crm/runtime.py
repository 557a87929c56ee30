"""The runtime every process assembles the same way: database, bus and services.

The server, the worker and the one-shot commands all run with a ``Services``; building it in
one place keeps its parts, their settings and the order they are released in the same
everywhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from gql_crm.clock import Clock, SystemClock
from gql_crm.observability import observed_database
from gql_crm.services.unit_of_work import Services
from gql_crm.settings import Settings
from gql_crm.subscriptions.bus import Bus


@contextlib.asynccontextmanager
async def running(settings: Settings, clock: Clock | None = None) -> AsyncIterator[Services]:
    """The services for ``settings``, connected; closed (bus, then database) on exit.

    Events reach live clients through Redis when it is configured, in process otherwise.
    """
    with observed_database(settings) as database:
        try:
            bus = Bus(settings.broadcast_url, namespace=settings.bus_namespace)
            await bus.connect()
            try:
                yield Services(
                    settings=settings, database=database, clock=clock or SystemClock(), bus=bus
                )
            finally:
                await bus.disconnect()
        finally:
            await database.dispose()
