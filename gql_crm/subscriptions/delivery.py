"""Delivery to one local subscriber: what the bus hands events to, and the queued kind.

A listener is either a ``Subscription`` (a bounded queue a task reads; a subscriber that
falls behind is dropped with ``SlowSubscriber`` instead of letting memory grow) or any object
with ``offer`` and ``fail``: a direct subscription's frames are written during ``offer``
itself (``direct/frames.py``).
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from gql_crm.subscriptions.events import Event


class SlowSubscriber(Exception):
    """The subscriber did not keep up with its events and was dropped."""


class Listener(Protocol):
    """What the bus hands each event of its channels to, in the bus's own task.

    ``offer`` must not block, nor attach or detach a listener: the bus calls it for every
    local listener of a channel in one pass, over the channel's set as it is.
    """

    def offer(self, event: Event) -> None: ...

    def fail(self, failure: Exception) -> None:
        """End the listener: the bus is interrupted, it fell behind, its token expired..."""
        ...


class Subscription:
    """A listener that queues its events (bounded) for a task to read.

    A plain list and at most one waiting future, rather than an ``asyncio.Queue`` (four deques
    and an event, about 3 KB): a process holds one of these per subscribed connection, and
    its queue is nearly always empty.
    """

    __slots__ = ("_events", "_failure", "_limit", "_waiter")

    def __init__(self, queue_size: int) -> None:
        self._limit = queue_size
        self._events: list[Event] = []
        self._failure: Exception | None = None
        self._waiter: asyncio.Future[None] | None = None

    def offer(self, event: Event) -> None:
        if self._failure is not None:
            return
        if len(self._events) >= self._limit:
            self.fail(SlowSubscriber("events arrived faster than they were read"))
            return
        self._events.append(event)
        self._wake()

    def fail(self, failure: Exception) -> None:
        if self._failure is not None:
            return
        self._failure = failure
        self._events.clear()  # drop the backlog: memory stays flat
        self._wake()

    @property
    def failed(self) -> bool:
        return self._failure is not None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        while not self._events:
            if self._failure is not None:
                raise self._failure
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        return self._events.pop(0)  # at most queue_size long, usually one

    async def next(self, within: float | None) -> Event | None:
        """The next event, or None when ``within`` seconds pass first."""
        if self._events or self._failure is not None:
            return await self.__anext__()
        try:
            async with asyncio.timeout(within):
                return await self.__anext__()
        except TimeoutError:
            return None
