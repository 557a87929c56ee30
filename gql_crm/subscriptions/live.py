"""The loop every subscription runs: listen, end the session when it ends, fresh loaders."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar

from gql_crm.auth.principal import Unauthenticated
from gql_crm.clock import Clock
from gql_crm.context import Context
from gql_crm.subscriptions.bus import Event, Subscription, user_channel

# A subscription's items: ``feed(context, **arguments)`` yields what the subscription field
# returns, one item per event the subscriber may see. The Strawberry resolver iterates it, and
# so does the direct path (subscriptions/direct.py), so both check every event the same way.
Feed = Callable[..., AsyncIterator[Any]]
FEEDS: dict[str, Feed] = {}  # by the subscription field's GraphQL name

F = TypeVar("F", bound=Feed)


def feed(field_name: str) -> Callable[[F], F]:
    """Register ``function`` as the items of the subscription field ``field_name``."""

    def register(function: F) -> F:
        FEEDS[field_name] = function
        return function

    return register


class PermissionsChanged(Exception):
    """The subscriber's permissions or data scope changed; it must subscribe again."""


# How often the sweep checks the live subscriptions' tokens for expiry.
_SWEEP_SECONDS = 1.0


class _ExpirySweep:
    """Ends the subscriptions whose token expired, in one pass per second for the loop.

    A timer per waiting subscriber (re-armed after each event) cost thousands of wake-ups a
    second on a process holding 10,000 idle subscribers, and a timer and a future per
    subscriber and event that lived long enough to reach the collector's oldest generation.
    """

    def __init__(self) -> None:
        self.watched: dict[Subscription, tuple[datetime, Clock]] = {}
        self._task: asyncio.Task[None] | None = None

    @contextlib.contextmanager
    def watch(
        self, subscription: Subscription, expires_at: datetime, clock: Clock
    ) -> Iterator[None]:
        self.watched[subscription] = (expires_at, clock)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._sweep(), name="live-token-expiry")
        try:
            yield
        finally:
            self.watched.pop(subscription, None)

    async def _sweep(self) -> None:
        while self.watched:
            await asyncio.sleep(_SWEEP_SECONDS)
            # No copy of the watched set: fail() only wakes the subscriber, which leaves the
            # set later, from its own task.
            for subscription, (expires_at, clock) in self.watched.items():
                if clock.now() >= expires_at:
                    subscription.fail(_expired())


_sweeps: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _ExpirySweep] = (
    weakref.WeakKeyDictionary()
)


def _expired() -> Unauthenticated:
    return Unauthenticated("Your token expired: sign in again and re-subscribe.")


async def live_events(context: Context, *channels: str) -> AsyncIterator[Event]:
    """Events of ``channels`` for the signed-in subscriber, until its session ends.

    The subscriber's own channel is always included: a revoked session (deactivation,
    password change) arrives there and ends the subscription, as does the token's expiry.
    """
    principal = context.require_principal()
    services = context.services
    own = user_channel(principal.user_id)
    expires_at = principal.token_expires_at
    if expires_at is not None and services.clock.now() >= expires_at:
        raise _expired()
    async with contextlib.AsyncExitStack() as stack:
        subscription = await stack.enter_async_context(services.bus.subscribe(own, *channels))
        if expires_at is not None:
            loop = asyncio.get_running_loop()
            sweep = _sweeps.get(loop)
            if sweep is None:
                sweep = _sweeps[loop] = _ExpirySweep()
            stack.enter_context(sweep.watch(subscription, expires_at, services.clock))
        async for event in subscription:
            if event.channel == own and event.type == "session.revoked":
                reason = event.payload.get("reason", "revoked")
                raise Unauthenticated(f"Your session ended ({reason}): sign in again.")
            if event.channel == own and event.type == "session.changed":
                raise PermissionsChanged("Your permissions changed: subscribe again.")
            # Loaders cache per request; for a subscription every event is a new request.
            context.renew_loaders()
            yield event
