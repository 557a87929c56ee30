"""Publish/subscribe over ``broadcaster``: ``memory://`` embedded, Redis in production.

Events travel as JSON envelopes (channel, type, id, payload, time). The database row is the
truth and an event is a hint: a client that missed one re-queries.

Fan-out: a process holds ONE broadcaster subscription per channel, however many local
subscribers listen to it, decodes each message once, and hands it to every local subscriber's
bounded queue. A subscriber that falls behind is dropped (``SlowSubscriber``) instead of
letting memory grow.

Supervision: broadcaster does not notice a lost Redis connection (its listener task just
dies). With Redis the bus sends itself a heartbeat every second; when one fails to come back,
every local subscription ends with ``BusUnavailable`` (clients re-subscribe and re-query), and
the bus reconnects with backoff. Subscribing while it is down fails at once, never hangs.

A late heartbeat alone does not prove Redis lost: a process busy fanning an event out to
thousands of sockets can delay its own beat by seconds. Ending every subscription then (and
logging thousands of errors) made the overload feed itself. So a missed beat counts as a
failure only when a direct PING to Redis fails too, or after several misses in a row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from broadcaster import Broadcast
from redis.asyncio import Redis

logger = logging.getLogger("gql_crm.bus")

_CLOSED = object()


class BusUnavailable(Exception):
    """Live updates are interrupted; re-subscribe (and re-query) in a moment."""


class SlowSubscriber(Exception):
    """The subscriber did not keep up with its events and was dropped."""


@dataclass(frozen=True, slots=True)
class Event:
    channel: str
    type: str
    id: int | None
    payload: dict[str, Any]
    time: datetime

    def encode(self) -> str:
        return orjson.dumps(
            {
                "channel": self.channel,
                "type": self.type,
                "id": self.id,
                "payload": self.payload,
                "time": self.time.isoformat(),
            }
        ).decode()

    @classmethod
    def decode(cls, message: str) -> Event:
        data = orjson.loads(message)
        return cls(
            channel=data["channel"],
            type=data["type"],
            id=data["id"],
            payload=data["payload"],
            time=datetime.fromisoformat(data["time"]),
        )


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


class Subscription:
    """One local listener on some channels: a bounded queue of events."""

    def __init__(self, channels: tuple[str, ...], queue_size: int) -> None:
        self.channels = channels
        self._queue: asyncio.Queue[Event | object] = asyncio.Queue(maxsize=queue_size)
        self._failure: Exception | None = None

    def offer(self, event: Event) -> None:
        if self._failure is not None:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.fail(SlowSubscriber("events arrived faster than they were read"))

    def fail(self, failure: Exception) -> None:
        if self._failure is not None:
            return
        self._failure = failure
        while not self._queue.empty():  # drop the backlog: memory stays flat
            self._queue.get_nowait()
        self._queue.put_nowait(_CLOSED)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        item = await self._queue.get()
        if item is _CLOSED:
            assert self._failure is not None
            raise self._failure
        assert isinstance(item, Event)
        return item

    async def next(self, within: float | None) -> Event | None:
        """The next event, or None when ``within`` seconds pass first."""
        if not self._queue.empty():
            return await self.__anext__()
        try:
            # asyncio.timeout, unlike wait_for, creates no task per wait: thousands of idle
            # subscribers re-check their session every few seconds.
            async with asyncio.timeout(within):
                return await self.__anext__()
        except TimeoutError:
            return None


class Bus:
    def __init__(
        self,
        url: str,
        *,
        namespace: str = "gql-crm",
        queue_size: int = 256,
        heartbeat_interval: float = 1.0,
        heartbeat_timeout: float = 3.0,
        heartbeat_misses: int = 3,
    ) -> None:
        self.url = url
        # Redis pub/sub channels ignore the database number: deployments (or test runs)
        # sharing one Redis are kept apart by prefixing every channel with a namespace.
        self._prefix = f"{namespace}:"
        self.queue_size = queue_size
        self._supervised = not url.startswith("memory://")
        self._heartbeat_interval = heartbeat_interval
        self._heartbeat_timeout = heartbeat_timeout
        self._heartbeat_misses = heartbeat_misses
        self._broadcast: Broadcast | None = None
        self._local: dict[str, set[Subscription]] = {}
        self._pumps: dict[str, asyncio.Task[None]] = {}
        self._healthy = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._heartbeat_channel = f"heartbeat:{uuid.uuid4().hex}"

    @property
    def healthy(self) -> bool:
        return self._healthy.is_set()

    async def connect(self) -> None:
        await self._open()
        if self._supervised:
            self._supervisor = asyncio.create_task(self._supervise(), name="bus-supervisor")

    async def disconnect(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        self._fail_all(BusUnavailable("the server is shutting down"))
        await self._close()

    async def publish(self, event: Event) -> None:
        if self._broadcast is None or not self.healthy:
            raise BusUnavailable("live updates are interrupted")
        await self._broadcast.publish(channel=self._prefix + event.channel, message=event.encode())

    @contextlib.asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[Subscription]:
        """Listen to ``channels`` until the block ends (or the bus fails the subscription)."""
        if not self.healthy:
            raise BusUnavailable("live updates are interrupted; try again in a few seconds")
        subscription = Subscription(tuple(dict.fromkeys(channels)), self.queue_size)
        for channel in subscription.channels:
            self._local.setdefault(channel, set()).add(subscription)
        try:
            await asyncio.gather(*(self._ensure_pump(c) for c in subscription.channels))
            yield subscription
        finally:
            for channel in subscription.channels:
                listeners = self._local.get(channel)
                if listeners is None:
                    continue
                listeners.discard(subscription)
                if not listeners:
                    del self._local[channel]
                    pump = self._pumps.pop(channel, None)
                    if pump is not None:
                        pump.cancel()

    # ---- internals ---------------------------------------------------------------------

    async def _open(self) -> None:
        broadcast = Broadcast(self.url)
        await asyncio.wait_for(broadcast.connect(), self._heartbeat_timeout)
        self._broadcast = broadcast
        self._healthy.set()

    async def _close(self) -> None:
        self._healthy.clear()
        for pump in self._pumps.values():
            pump.cancel()
        self._pumps.clear()
        broadcast, self._broadcast = self._broadcast, None
        if broadcast is not None:
            # A dead Redis can make a clean disconnect hang or fail; neither matters here.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(broadcast.disconnect(), 1.0)

    async def _ensure_pump(self, channel: str) -> None:
        if channel in self._pumps:
            return
        ready = asyncio.Event()
        self._pumps[channel] = asyncio.create_task(
            self._pump(channel, ready), name=f"bus:{channel}"
        )
        await ready.wait()

    async def _pump(self, channel: str, ready: asyncio.Event) -> None:
        broadcast = self._broadcast
        assert broadcast is not None
        try:
            async with broadcast.subscribe(self._prefix + channel) as subscriber:
                ready.set()
                async for message in subscriber:  # type: ignore[union-attr]
                    if message is None:
                        continue
                    event = Event.decode(message.message)
                    for subscription in list(self._local.get(channel, ())):
                        subscription.offer(event)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("event pump for %s failed", channel)
            for subscription in list(self._local.get(channel, ())):
                subscription.fail(BusUnavailable("live updates are interrupted"))
        finally:
            ready.set()

    def _fail_all(self, failure: Exception) -> None:
        for listeners in list(self._local.values()):
            for subscription in list(listeners):
                subscription.fail(failure)

    async def _heartbeat(self) -> bool:
        """Publish to ourselves and wait for it: the only proof that Redis still delivers."""
        try:
            async with self.subscribe(self._heartbeat_channel) as beats:
                beat = Event(
                    self._heartbeat_channel, "heartbeat", None, {}, datetime.now().astimezone()
                )
                await asyncio.wait_for(self.publish(beat), self._heartbeat_timeout)
                return await beats.next(self._heartbeat_timeout) is not None
        except Exception:
            return False

    async def _redis_answers(self) -> bool:
        """A PING over a fresh connection: tells a busy process from an unreachable Redis."""
        try:
            async with Redis.from_url(self.url, socket_timeout=self._heartbeat_timeout) as redis:
                await asyncio.wait_for(redis.ping(), self._heartbeat_timeout)
            return True
        except Exception:
            return False

    async def _supervise(self) -> None:
        backoff = 0.5
        misses = 0
        while True:
            await asyncio.sleep(self._heartbeat_interval)
            if self.healthy and await self._heartbeat():
                misses = 0
                continue
            misses += 1
            if self.healthy and misses < self._heartbeat_misses and await self._redis_answers():
                logger.info("event bus heartbeat late (%d in a row); Redis answers", misses)
                continue
            misses = 0
            logger.warning("event bus lost its connection; ending live subscriptions")
            self._fail_all(BusUnavailable("live updates were interrupted; re-subscribe"))
            await self._close()
            while True:
                try:
                    await self._open()
                    if await self._heartbeat():
                        logger.info("event bus reconnected")
                        backoff = 0.5
                        break
                    await self._close()
                except Exception:
                    await self._close()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
