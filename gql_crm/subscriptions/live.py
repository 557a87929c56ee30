"""What every subscription shares: its feed, its session's end, fresh loaders per event.

A subscription field is served by a feed: the channels it listens to beyond the subscriber's
own, and, for each event, the items this subscriber may see (the feed's permission and scope
checks). Feeds are registered by field name; both delivery paths use the same feed objects:

- ``live_items`` is the general path, an async generator the Strawberry resolver iterates in
  the subscription's own task;
- ``direct/frames.py`` serves plain-data documents without waking that task per event:
  a ``Feed``'s ``items`` is synchronous, so it runs right where the bus hands the event out.
  A ``LoadingFeed`` needs the database per event and always runs in the subscription's task.

The subscriber's own channel is always listened to: a revoked session (deactivation,
password change) arrives there and ends the subscription, as does the token's expiry.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, Generic, TypeVar

from gql_crm.auth.principal import Unauthenticated
from gql_crm.clock import Clock
from gql_crm.context import Context
from gql_crm.observability.metrics import LIVE_SUBSCRIPTIONS
from gql_crm.subscriptions.bus import Event, Listener, user_channel

T = TypeVar("T")


class Feed(Generic[T]):
    """A subscription's items, decided per event without waiting for anything."""

    __slots__ = ()
    channels: tuple[str, ...] = ()  # besides the subscriber's own

    def items(self, event: Event) -> Iterable[T]:
        """The items ``event`` gives this subscriber: none unless it may see them."""
        raise NotImplementedError


class LoadingFeed(Generic[T]):
    """A subscription's items, read from the database per event."""

    __slots__ = ()
    channels: tuple[str, ...] = ()

    async def items(self, event: Event) -> Iterable[T]:
        raise NotImplementedError


# Builds a subscriber's feed from its context and the field's arguments (Python names);
# raises when the subscriber may not subscribe at all.
FeedFactory = Callable[..., Feed[Any] | LoadingFeed[Any]]
FEEDS: dict[str, FeedFactory] = {}  # by the subscription field's GraphQL name

F = TypeVar("F", bound=FeedFactory)


def feed(field_name: str) -> Callable[[F], F]:
    """Register ``factory`` as the feed of the subscription field ``field_name``."""

    def register(factory: F) -> F:
        FEEDS[field_name] = factory
        return factory

    return register


class PermissionsChanged(Exception):
    """The subscriber's permissions or data scope changed; it must subscribe again."""


def end_if_session_over(own_channel: str, event: Event) -> None:
    """Raise when ``event`` ends the subscriber's session or changes its rights."""
    if event.channel != own_channel:
        return
    if event.type == "session.revoked":
        reason = event.payload.get("reason", "revoked")
        raise Unauthenticated(f"Your session ended ({reason}): sign in again.")
    if event.type == "session.changed":
        raise PermissionsChanged("Your permissions changed: subscribe again.")


@contextlib.asynccontextmanager
async def listening(
    context: Context, channels: tuple[str, ...], listener: Listener
) -> AsyncIterator[str]:
    """``listener`` attached to the subscriber's own channel and ``channels`` until the block
    ends, and failed when the subscriber's token expires. Yields the subscriber's channel."""
    principal = context.require_principal()
    services = context.services
    own = user_channel(principal.user_id)
    expires_at = principal.token_expires_at
    if expires_at is not None and services.clock.now() >= expires_at:
        raise _expired()
    async with services.bus.attach(listener, own, *channels):
        LIVE_SUBSCRIPTIONS.inc()
        try:
            if expires_at is None:
                yield own
            else:
                with _sweep().watch(listener, expires_at, services.clock):
                    yield own
        finally:
            LIVE_SUBSCRIPTIONS.dec()


async def live_items(context: Context, feed: Feed[T] | LoadingFeed[T]) -> AsyncIterator[T]:
    """``feed``'s items for the signed-in subscriber, until its session ends."""
    subscription = context.services.bus.new_subscription()
    try:
        async with listening(context, feed.channels, subscription) as own:
            async for event in subscription:
                end_if_session_over(own, event)
                # Loaders cache per request; for a subscription every event is a new request.
                context.renew_loaders()
                if isinstance(feed, LoadingFeed):
                    items = await feed.items(event)
                else:
                    items = feed.items(event)
                for item in items:
                    yield item
    except Unauthenticated as ended:
        # The whole connection's session is over, not only this subscription's.
        context.session_ended = ended
        raise


# ---- token expiry ---------------------------------------------------------------------------

# How often the sweep checks the live subscriptions' tokens for expiry.
_SWEEP_SECONDS = 1.0


class _ExpirySweep:
    """Ends the subscriptions whose token expired, in one pass per second for the loop.

    A timer per waiting subscriber (re-armed after each event) cost thousands of wake-ups a
    second on a process holding 10,000 idle subscribers, and a timer and a future per
    subscriber and event that lived long enough to reach the collector's oldest generation.
    """

    def __init__(self) -> None:
        self.watched: dict[Listener, tuple[datetime, Clock]] = {}
        self._task: asyncio.Task[None] | None = None

    @contextlib.contextmanager
    def watch(self, listener: Listener, expires_at: datetime, clock: Clock) -> Iterator[None]:
        self.watched[listener] = (expires_at, clock)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._sweep(), name="live-token-expiry")
        try:
            yield
        finally:
            self.watched.pop(listener, None)

    async def _sweep(self) -> None:
        while self.watched:
            await asyncio.sleep(_SWEEP_SECONDS)
            # Every subscriber of a process shares one clock: ask it once per pass.
            now: dict[Clock, datetime] = {}
            # No copy of the watched set: fail() only marks the listener, which leaves the
            # set later, from its own task.
            for listener, (expires_at, clock) in self.watched.items():
                current = now.get(clock)
                if current is None:
                    current = now[clock] = clock.now()
                if current >= expires_at:
                    listener.fail(_expired())


_sweeps: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _ExpirySweep] = (
    weakref.WeakKeyDictionary()
)


def _sweep() -> _ExpirySweep:
    loop = asyncio.get_running_loop()
    sweep = _sweeps.get(loop)
    if sweep is None:
        sweep = _sweeps[loop] = _ExpirySweep()
    return sweep


def _expired() -> Unauthenticated:
    return Unauthenticated("Your token expired: sign in again and re-subscribe.")
