"""Requests per signed-in caller, counted with the ``limits`` library: in Redis when it is
configured (every server process shares the count), in memory otherwise.

Every HTTP request with a valid token counts, and so does every operation sent over a
WebSocket; over the limit, HTTP answers 429 with ``Retry-After`` and a WebSocket operation
an error with the code ``RATE_LIMITED``. The windows are fixed (one counter per caller and
rate, started by its first request), kept by the storage on the wall clock. The sign-in
throttle (``services/auth.py``) is separate: it counts failed passwords, not requests.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool
from starlette.requests import HTTPConnection

from gql_crm.auth.principal import Principal
from gql_crm.settings import Settings
from gql_crm.web.protocol import RequestRefused

logger = logging.getLogger("gql_crm.rate_limits")

RATE_LIMITED = "RATE_LIMITED"


def rate_key(principal: Principal) -> str:
    """Whom a request counts against: what the principal was authenticated as (an API key
    has its own count, apart from its owner's sign-ins)."""
    if principal.api_key_id is not None:
        return f"key:{principal.api_key_id}"
    return f"user:{principal.user_id}"


def rate_limited_message(retry_after: int) -> str:
    return f"Too many requests: try again in {retry_after} s."


class RateLimits:
    """The limits of ``settings.rate_limit``; one per application, closed with it."""

    def __init__(self, settings: Settings) -> None:
        self._items: list[RateLimitItem] = (
            parse_many(settings.rate_limit) if settings.rate_limit else []
        )
        self._pool: ConnectionPool | None = None
        storage: Storage
        if settings.redis_url:
            # Our own pool, so that closing the application closes its connections.
            self._pool = ConnectionPool.from_url(settings.redis_url, socket_timeout=2)
            storage = RedisStorage(
                f"async+{settings.redis_url}",
                implementation="redispy",
                key_prefix=f"{settings.bus_namespace}:rate",
                connection_pool=self._pool,  # type: ignore[arg-type]  # typed for URL options
                wrap_exceptions=True,
            )
        else:
            storage = MemoryStorage()
        self._storage = storage
        self._limiter = FixedWindowRateLimiter(storage)
        self._failing_since: float | None = None

    async def retry_after(self, principal: Principal) -> int | None:
        """Count one request of ``principal``: the seconds to wait if it is over a limit."""
        if not self._items:
            return None
        key = rate_key(principal)
        wait: int | None = None
        try:
            for item in self._items:
                if not await self._limiter.hit(item, key):
                    stats = await self._limiter.get_window_stats(item, key)
                    wait = max(wait or 1, math.ceil(stats.reset_time - time.time()))
        except StorageError as error:
            # Unavailable counts must not take the API down with them: let requests through,
            # and say so (once a minute, not once per request).
            now = time.monotonic()
            if self._failing_since is None or now - self._failing_since > 60:
                self._failing_since = now
                logger.warning("rate limits not counted: storage unavailable", exc_info=error)
            return None
        return wait

    async def check(self, principal: Principal) -> None:
        """Count one HTTP request; raise the 429 refusal when it is over a limit."""
        wait = await self.retry_after(principal)
        if wait is not None:
            raise RequestRefused(
                rate_limited_message(wait),
                RATE_LIMITED,
                status=429,
                headers={"Retry-After": str(wait)},
                retryAfter=wait,
            )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()
        if isinstance(self._storage, MemoryStorage) and self._storage.timer is not None:
            self._storage.timer.cancel()


def rate_limits_of(connection: HTTPConnection) -> RateLimits:
    """The application's limits (``app.py`` keeps them in its state)."""
    limits: RateLimits = connection.app.state.rate_limits
    return limits
