"""Keeps the objects of open WebSocket connections out of the garbage collector's passes.

A process holding 10,000 subscribed connections holds millions of long-lived objects (each
connection's protocol, tasks, handler, context...). CPython's collector walks them all in a
full pass, and a young pass walks whatever connections arrived since the last one: measured
on the fan-out benchmark, passes of 0.1-0.5 s landed in the middle of an announcement's
fan-out and doubled its p99.

So every two seconds, when at least 50 connections have arrived since the last time, a young
pass runs and what survives is frozen (``gc.freeze``): moved to the permanent generation,
which no pass walks. Reference
counting still frees them when their connection closes. What freezing gives up is collecting
reference cycles among frozen objects; to bound that, once a quarter of the frozen
connections have closed, everything is unfrozen and collected in one deliberate pass, then
frozen again.

It also counts, per server process, the connections of each user and those of each client
address that have not sent ``connection_init`` yet, which are capped (see ``admit_user``
and ``await_init``): a client opening sockets by the hundred, signed in or not, is refused
early, with the close code graphql-transport-ws gives to too many initialisations.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections import Counter

logger = logging.getLogger("gql_crm.subscriptions")

# graphql-transport-ws closes with 4429 when a client initialises too often; over a cap of
# connections is the same kind of excess.
TOO_MANY_CONNECTIONS_CLOSE_CODE = 4429


class TooManyConnections(Exception):
    """A connection over a cap; it is closed with ``TOO_MANY_CONNECTIONS_CLOSE_CODE``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LongLivedConnections:
    def __init__(
        self,
        *,
        settle_seconds: float = 2.0,
        min_arrivals: int = 50,
        recollect_fraction: float = 0.25,
    ) -> None:
        self._settle_seconds = settle_seconds
        self._min_arrivals = min_arrivals
        self._recollect_fraction = recollect_fraction
        self.open = 0
        self._arrived = 0  # since the last freeze
        self._closed = 0  # closures since the last full pass
        self._frozen_open = 0  # connections open at the last freeze
        self._task: asyncio.Task[None] | None = None
        self._per_user: Counter[int] = Counter()
        self._awaiting_init: Counter[str] = Counter()

    def await_init(self, client: str, cap: int) -> None:
        """Count a connection from ``client`` until its connection_init (``initialised``)."""
        if self._awaiting_init[client] >= cap:
            raise TooManyConnections(
                f"{cap} connections from this address are waiting to be initialised already"
            )
        self._awaiting_init[client] += 1

    def initialised(self, client: str) -> None:
        self._awaiting_init[client] -= 1
        if not self._awaiting_init[client]:
            del self._awaiting_init[client]

    def admit_user(self, user_id: int, cap: int) -> None:
        """Count an acknowledged connection of ``user_id`` until ``user_left``."""
        if self._per_user[user_id] >= cap:
            raise TooManyConnections(f"you have {cap} connections open already; close one")
        self._per_user[user_id] += 1

    def user_left(self, user_id: int) -> None:
        self._per_user[user_id] -= 1
        if not self._per_user[user_id]:
            del self._per_user[user_id]

    def opened(self) -> None:
        self.open += 1
        self._arrived += 1
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._settle(), name="long-lived-connections")

    def closed(self) -> None:
        self.open -= 1
        self._closed += 1

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _settle(self) -> None:
        while self.open:
            await asyncio.sleep(self._settle_seconds)
            if self._closed > self._recollect_fraction * max(self._frozen_open, 1) and (
                self._closed >= self._min_arrivals
            ):
                self._recollect()
            elif self._arrived >= self._min_arrivals:
                self._freeze()

    def _freeze(self) -> None:
        # A young pass first, so that cycles just made garbage (a request's exception and
        # its traceback...) are not frozen with the connections.
        gc.collect(1)
        gc.freeze()
        self._arrived = 0
        self._frozen_open = self.open

    def _recollect(self) -> None:
        start = time.perf_counter()
        gc.unfreeze()
        collected = gc.collect()
        self._closed = 0
        self._freeze()
        logger.info(
            "collected %d objects of closed connections in %.0f ms (%d open)",
            collected,
            (time.perf_counter() - start) * 1000,
            self.open,
        )
