"""Publish/subscribe over ``broadcaster``: ``memory://`` embedded, Redis in production.

Events travel as JSON envelopes (``events.py``). The database row is the truth and an event
is a hint: a client that missed one re-queries. Other modules import all of it from here.

Fan-out: a process holds ONE broadcaster subscription per channel, however many local
listeners it has, and no task or queue per channel: broadcaster's single listener hands each
message to the bus, which decodes it once and offers it to every local listener
(``delivery.py``: a bounded ``Subscription`` a task reads, or a direct subscription's
frames, written during ``offer`` itself). (broadcaster's own ``subscribe`` gives each
subscriber a queue and needs a task per subscriber to drain it: with a channel per user,
that was a task, two queues and a Redis SUBSCRIBE of their own for every connection.)

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
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import TypeVar

from broadcaster import Broadcast
from redis.asyncio import Redis

from gql_crm.observability.metrics import BUS_ROUND_TRIP
from gql_crm.subscriptions.delivery import Listener as Listener
from gql_crm.subscriptions.delivery import SlowSubscriber as SlowSubscriber
from gql_crm.subscriptions.delivery import Subscription as Subscription
from gql_crm.subscriptions.events import Event as Event
from gql_crm.subscriptions.events import user_channel as user_channel

logger = logging.getLogger("gql_crm.bus")


class BusUnavailable(Exception):
    """Live updates are interrupted; re-subscribe (and re-query) in a moment."""


L = TypeVar("L", bound=Listener)


class _Dispatching(Broadcast):
    """broadcaster's ``Broadcast``, its listener handing every message to one callback.

    ``Broadcast.subscribe`` would give each subscriber a queue that someone must drain; the bus
    keeps its own subscribers, so it only needs the backend's channel set and its messages.
    """

    def __init__(self, url: str, deliver: Callable[[str, str], None]) -> None:
        super().__init__(url)
        self._deliver = deliver

    async def _listener(self) -> None:
        while True:
            event = await self._backend.next_published()
            self._deliver(event.channel, event.message)

    async def listen(self, channel: str) -> None:
        await self._backend.subscribe(channel)

    async def unlisten(self, channel: str) -> None:
        await self._backend.unsubscribe(channel)


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
        self._broadcast: _Dispatching | None = None
        self._publisher: Redis | None = None  # with Redis: the connection events go out on
        self._local: dict[str, set[Listener]] = {}
        # Channels subscribed on the backend, and those whose local listeners changed since.
        # One task (the reconciler) issues every SUBSCRIBE/UNSUBSCRIBE, in order, so that a
        # channel left and rejoined at once is never unsubscribed after its new SUBSCRIBE.
        self._active: set[str] = set()
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._pass: asyncio.Future[None] | None = None
        self._reconciler: asyncio.Task[None] | None = None
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
        supervisor, self._supervisor = self._supervisor, None
        await _stopped(supervisor)
        self._fail_all(BusUnavailable("the server is shutting down"))
        await self._close()

    async def publish(self, *events: Event) -> None:
        """Publish ``events`` in order; with Redis, in one round trip.

        broadcaster publishes one message per round trip: a message to 500 recipients (500
        events) waited about 35 ms on them before its mutation could answer. With Redis the
        bus sends them down one pipeline of its own connection instead (about 5 ms).
        """
        broadcast = self._broadcast
        if broadcast is None or not self.healthy:
            raise BusUnavailable("live updates are interrupted")
        messages = [(self._prefix + event.channel, event.encode()) for event in events]
        if self._publisher is None:
            for channel, message in messages:
                await broadcast.publish(channel=channel, message=message)
            return
        async with self._publisher.pipeline(transaction=False) as pipeline:
            for channel, message in messages:
                pipeline.publish(channel, message)
            await pipeline.execute()

    def new_subscription(self) -> Subscription:
        return Subscription(self.queue_size)

    def subscribe(self, *channels: str) -> contextlib.AbstractAsyncContextManager[Subscription]:
        """A queue of the events of ``channels`` until the block ends (or the bus fails it)."""
        return self.attach(self.new_subscription(), *channels)

    @contextlib.asynccontextmanager
    async def attach(self, listener: L, *channels: str) -> AsyncIterator[L]:
        """Hand ``listener`` the events of ``channels`` until the block ends."""
        if not self.healthy:
            raise BusUnavailable("live updates are interrupted; try again in a few seconds")
        unique = tuple(dict.fromkeys(channels))
        for channel in unique:
            self._local.setdefault(channel, set()).add(listener)
        try:
            missing = [c for c in unique if c not in self._active]
            if missing:
                self._dirty.update(missing)
                await asyncio.shield(self._next_pass())
                if any(c not in self._active for c in missing):
                    listener.fail(BusUnavailable("live updates are interrupted"))
            yield listener
        finally:
            for channel in unique:
                listeners = self._local.get(channel)
                if listeners is None:
                    continue
                listeners.discard(listener)
                if not listeners:
                    del self._local[channel]
                    self._dirty.add(channel)
                    self._wake.set()

    # ---- internals ---------------------------------------------------------------------

    def _next_pass(self) -> asyncio.Future[None]:
        """Resolved when the reconciler has handled every channel marked dirty so far."""
        if self._pass is None:
            self._pass = asyncio.get_running_loop().create_future()
        self._wake.set()
        return self._pass

    async def _reconcile(self, broadcast: _Dispatching) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            dirty, self._dirty = self._dirty, set()
            done, self._pass = self._pass, None
            added: list[str] = []
            try:
                for channel in dirty:
                    wanted = channel in self._local
                    if wanted and channel not in self._active:
                        await broadcast.listen(self._prefix + channel)
                        self._active.add(channel)
                        added.append(channel)
                    elif not wanted and channel in self._active:
                        self._active.discard(channel)
                        await broadcast.unlisten(self._prefix + channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("could not update the bus's channels")
                for channel in dirty:
                    if channel not in self._active:
                        for listener in self._local.get(channel, ()):
                            listener.fail(BusUnavailable("live updates are interrupted"))
            finally:
                if done is not None and not done.done():
                    done.set_result(None)

    def _deliver(self, channel: str, message: str) -> None:
        """broadcaster's listener, for each message: decode once, queue for every listener."""
        listeners = self._local.get(channel.removeprefix(self._prefix))
        if not listeners:
            return
        try:
            event = Event.decode(message)
        except Exception:
            logger.exception("could not decode an event on %s", channel)
            return
        for listener in listeners:  # offer() never changes the set: no copy needed
            listener.offer(event)

    async def _open(self) -> None:
        broadcast = _Dispatching(self.url, self._deliver)
        await asyncio.wait_for(broadcast.connect(), self._heartbeat_timeout)
        self._broadcast = broadcast
        if self._supervised:
            self._publisher = Redis.from_url(self.url, socket_timeout=self._heartbeat_timeout)
        self._active.clear()
        self._reconciler = asyncio.create_task(self._reconcile(broadcast), name="bus-channels")
        self._healthy.set()

    async def _close(self) -> None:
        self._healthy.clear()
        reconciler, self._reconciler = self._reconciler, None
        await _stopped(reconciler)
        # Whoever waits for a SUBSCRIBE finds its channel inactive and fails its subscription.
        self._active.clear()
        self._dirty.clear()
        waiting, self._pass = self._pass, None
        if waiting is not None and not waiting.done():
            waiting.set_result(None)
        broadcast, self._broadcast = self._broadcast, None
        publisher, self._publisher = self._publisher, None
        # Shielded: they are no longer the bus's, so a disconnect() that cancels the
        # supervisor half-way through must not leave their connections open.
        await asyncio.shield(_release(broadcast, publisher))

    def _fail_all(self, failure: Exception) -> None:
        for listeners in list(self._local.values()):
            for listener in list(listeners):
                listener.fail(failure)

    async def _heartbeat(self) -> bool:
        """Publish to ourselves and wait for it: the only proof that Redis still delivers."""
        try:
            async with self.subscribe(self._heartbeat_channel) as beats:
                beat = Event(
                    self._heartbeat_channel, "heartbeat", None, {}, datetime.now().astimezone()
                )
                sent = time.perf_counter()
                await asyncio.wait_for(self.publish(beat), self._heartbeat_timeout)
                if await beats.next(self._heartbeat_timeout) is None:
                    return False
                BUS_ROUND_TRIP.observe(time.perf_counter() - sent)
                return True
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


async def _stopped(task: asyncio.Task[None] | None) -> None:
    """Cancel ``task`` and wait for it to end, cancelling it again until it does: on Python
    3.11 ``asyncio.wait_for`` drops a cancellation that arrives as the call it waits on
    completes (the heartbeat's publish), and the supervisor then went on with its loop while
    the server's shutdown waited for it."""
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait([task], timeout=0.1)
    with contextlib.suppress(asyncio.CancelledError):
        await task  # its own failure, if it had one


async def _release(broadcast: _Dispatching | None, publisher: Redis | None) -> None:
    # A dead Redis can make a clean disconnect hang or fail; neither matters here.
    if broadcast is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(broadcast.disconnect(), 1.0)
    if publisher is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(publisher.aclose(), 1.0)
