"""The loop every subscription runs: listen, end the session when it ends, fresh loaders."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from gql_crm.auth.principal import Unauthenticated
from gql_crm.context import Context
from gql_crm.db.engine import SharedReads
from gql_crm.loaders import Loaders
from gql_crm.subscriptions.bus import Event, user_channel

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


# How often a waiting subscription re-checks its token's expiry.
_RECHECK_SECONDS = 5.0


async def live_events(context: Context, *channels: str) -> AsyncIterator[Event]:
    """Events of ``channels`` for the signed-in subscriber, until its session ends.

    The subscriber's own channel is always included: a revoked session (deactivation,
    password change) arrives there and ends the subscription, as does the token's expiry.
    """
    principal = context.require_principal()
    services = context.services
    own = user_channel(principal.user_id)
    async with services.bus.subscribe(own, *channels) as subscription:
        while True:
            wait = _RECHECK_SECONDS
            if principal.token_expires_at is not None:
                left = (principal.token_expires_at - services.clock.now()).total_seconds()
                if left <= 0:
                    raise Unauthenticated("Your token expired: sign in again and re-subscribe.")
                wait = min(wait, left)
            event = await subscription.next(wait)
            if event is None:
                continue
            if event.channel == own and event.type == "session.revoked":
                reason = event.payload.get("reason", "revoked")
                raise Unauthenticated(f"Your session ended ({reason}): sign in again.")
            if event.channel == own and event.type == "session.changed":
                raise PermissionsChanged("Your permissions changed: subscribe again.")
            # Loaders cache per request; for a subscription every event is a new request.
            context.loaders = Loaders(SharedReads(services.database), context.require_principal)
            yield event
