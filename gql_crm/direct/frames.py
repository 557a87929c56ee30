"""Direct subscriptions' frames, written where the bus hands out each event.

A subscription served the usual way is a task that waits on a queue: one announcement to
10,000 subscribers woke 10,000 tasks, and each resumed its chain of async generators and
Strawberry's, Starlette's and uvicorn's send coroutines before one socket write. Profiling
such a fan-out found about half of the process's time in the event loop's own scheduling.

For a direct subscription (``direct/subscriptions.py``) whose feed decides per event without
waiting (a ``Feed``), ``OperationFrames`` is the bus listener itself. For each event, in the
bus's delivery pass: the session checks, the feed's items (its permission and scope checks,
the same code every path runs), the projection, and the ``next`` message handed to
Strawberry's operation to send. Sending awaits nothing while the socket accepts data, so
the send coroutine runs to its end on the spot (``run_until_blocked``); the subscription's
task sleeps until the subscription ends.

When a socket pushes back, its send goes on in a task, and later events' items wait behind
it in a backlog, in order, bounded in events as a queued subscriber's queue is. A subscriber
whose backlog fills up is dropped with ``SlowSubscriber``: memory stays flat. When the
client completes the subscription, a send still waiting is cancelled: nothing reaches the
client under that operation's id afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Generator, Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import Operation

from gql_crm.direct.subscriptions import DirectSubscription
from gql_crm.subscriptions.bus import Event, SlowSubscriber
from gql_crm.subscriptions.live import Feed, end_if_session_over


class OperationFrames:
    """One direct subscription as a bus listener: each event becomes its frames at once."""

    __slots__ = (
        "_backlog",
        "_feed",
        "_limit",
        "_operation",
        "_own",
        "_plan",
        "_process",
        "_waiting",
        "ended",
    )

    def __init__(
        self,
        operation: Operation[Any, Any],
        plan: DirectSubscription,
        feed: Feed[Any],
        own_channel: str,
        process: Callable[[list[GraphQLError]], list[GraphQLError]],
        backlog_limit: int,
    ) -> None:
        self._operation = operation
        self._plan = plan
        self._feed = feed
        self._own = own_channel
        self._process = process
        self._limit = backlog_limit  # in events, as a queued subscriber's queue is
        # While a send waits for the socket: that send, and per event behind it the items
        # still to send (one event, such as a release naming many customers, can hold many).
        self._waiting: asyncio.Future[None] | None = None
        self._backlog: list[Iterator[object]] = []
        # Resolved with what ended the subscription; the subscription's task waits for it.
        self.ended: asyncio.Future[Exception] = asyncio.get_running_loop().create_future()

    def offer(self, event: Event) -> None:
        if self.ended.done():
            return
        try:
            end_if_session_over(self._own, event)
            items = iter(self._feed.items(event))
            if self._waiting is None:
                self._send(items)
            elif len(self._backlog) < self._limit:
                self._backlog.append(items)
            else:
                raise SlowSubscriber("events arrived faster than they were read")
        except Exception as error:  # the session ended, the client left or fell behind
            self.fail(error)

    def fail(self, failure: Exception) -> None:
        self._backlog.clear()  # drop what waits: memory stays flat
        if not self.ended.done():
            self.ended.set_result(failure)

    def cancel(self) -> None:
        """The client completed the subscription (or left): nothing more is sent, not even
        a frame waiting for the socket, which might otherwise reach a new operation that
        reuses the id."""
        self.fail(_Cancelled())
        if self._waiting is not None:
            self._waiting.cancel()

    def _send(self, items: Iterator[object]) -> None:
        """Send ``items`` until the socket makes one wait; the rest then waits behind it."""
        for item in items:
            message = self._plan.next_message(self._operation.id, item, self._process)
            waiting = run_until_blocked(self._operation.send_operation_message(message))
            if waiting is not None:
                self._waiting = waiting
                self._backlog.insert(0, items)
                waiting.add_done_callback(self._sent)
                return

    def _sent(self, send: asyncio.Future[None]) -> None:
        """A send that had to wait is done: send what queued behind it, in order."""
        self._waiting = None
        # Read the outcome even when it no longer matters, or asyncio logs it as never read.
        failure = None if send.cancelled() else send.exception()
        if send.cancelled() or self.ended.done():
            return
        if isinstance(failure, Exception):  # the client left
            self.fail(failure)
            return
        try:
            while self._backlog and self._waiting is None:
                self._send(self._backlog.pop(0))
        except Exception as error:
            self.fail(error)


class _Cancelled(Exception):
    pass


def run_until_blocked(coroutine: Coroutine[Any, Any, None]) -> asyncio.Future[None] | None:
    """Run ``coroutine`` in the caller's stead until it first has to wait.

    None when it finished without waiting (its exception, if any, is raised here); otherwise
    a task that finishes it. (Python 3.12's eager tasks do this; this runs on 3.11.)
    """
    try:
        waiting_on = coroutine.send(None)
    except StopIteration:
        return None
    rest = asyncio.ensure_future(_Resumed(coroutine, waiting_on))
    # A task cancelled before its first step never runs _Resumed: close the coroutine then,
    # so that its cleanup runs now rather than whenever it is collected. (Closing a finished
    # coroutine does nothing.)
    rest.add_done_callback(lambda _: coroutine.close())
    return rest


class _Resumed:
    """The rest of a coroutine that already yielded ``waiting_on`` to its first await."""

    __slots__ = ("_coroutine", "_waiting_on")

    def __init__(self, coroutine: Coroutine[Any, Any, None], waiting_on: object) -> None:
        self._coroutine = coroutine
        self._waiting_on = waiting_on

    def __await__(self) -> Generator[Any, Any, None]:
        coroutine, waiting_on = self._coroutine, self._waiting_on
        while True:
            try:
                received = yield waiting_on
            except BaseException as error:  # cancellation: pass it in
                try:
                    waiting_on = coroutine.throw(error)
                except StopIteration:
                    return
            else:
                try:
                    waiting_on = coroutine.send(received)
                except StopIteration:
                    return
