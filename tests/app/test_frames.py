"""Direct subscriptions' frames: sent during the bus's delivery, in order, bounded.

Over a real socket every live test of a domain goes through ``OperationFrames`` whenever its
document selects plain data; these pin what a socket cannot show on demand: that a frame is
sent before ``offer`` returns, and what happens while a socket pushes back.
"""

from __future__ import annotations

import asyncio
import gc
from datetime import UTC, datetime
from typing import Any

import pytest

from gql_crm.auth.principal import Unauthenticated
from gql_crm.direct.frames import OperationFrames, run_until_blocked
from gql_crm.schema.message import MessageType
from gql_crm.settings import Settings
from gql_crm.subscriptions.bus import Event, SlowSubscriber
from gql_crm.subscriptions.live import Feed
from gql_crm.web.graphql_view import CrmGraphQL

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OWN = "user:7"


class _Messages(Feed[MessageType]):
    """Each ``message.received`` event is one message, a ``messages.batch`` many."""

    def items(self, event: Event) -> tuple[MessageType, ...]:
        if event.type == "message.broken":  # an id the schema declares non-null is missing
            return (MessageType(id=None, sender_id=1, subject="s", body="", created_at=NOW),)  # type: ignore[arg-type]
        if event.type == "messages.batch":  # one event, many items (as a pool release is)
            return tuple(self._message(number) for number in event.payload["ids"])
        if event.type != "message.received":
            return ()
        return (self._message(event.id or 0),)

    @staticmethod
    def _message(number: int) -> MessageType:
        return MessageType(id=number, sender_id=1, subject="s", body="", created_at=NOW)


class _Operation:
    """Strawberry's operation as the frames use it: an id and an async send."""

    id = "op"

    def __init__(self) -> None:
        self.sent: list[Any] = []
        self.socket_full: asyncio.Future[None] | None = None  # sends wait while it is pending
        self.gone = False

    async def send_operation_message(self, message: Any) -> None:
        if self.socket_full is not None:
            await self.socket_full
        if self.gone:
            raise ConnectionResetError("the client left")
        self.sent.append(message)

    def ids(self) -> list[int]:
        return [message["payload"]["data"]["messages"]["id"] for message in self.sent]


def _frames(operation: _Operation, backlog_limit: int = 8) -> OperationFrames:
    settings = Settings(secret_key="test-secret-key-that-is-long-enough-for-hs256")
    plan = CrmGraphQL(settings).planner.plan("subscription { messages { id } }", None, None)
    assert plan is not None
    return OperationFrames(
        operation,  # type: ignore[arg-type]
        plan,
        _Messages(),
        OWN,
        lambda errors: errors,
        backlog_limit,
    )


async def _loop_turns() -> None:
    """Let the event loop run what is ready: a resumed send and its done-callbacks."""
    for _ in range(5):
        await asyncio.sleep(0)


def _message(number: int, channel: str = OWN) -> Event:
    return Event(channel, "message.received", number, {}, NOW)


async def test_a_frame_is_sent_before_offer_returns() -> None:
    operation = _Operation()
    frames = _frames(operation)
    frames.offer(_message(1))
    frames.offer(Event(OWN, "notification.created", 2, {}, NOW))  # not this feed's
    assert operation.ids() == [1]
    assert operation.sent[0]["type"] == "next"
    assert operation.sent[0]["id"] == "op"
    assert not frames.ended.done()


async def test_a_broken_item_is_reported_in_its_frame_and_the_next_still_arrive() -> None:
    operation = _Operation()
    frames = _frames(operation)
    frames.offer(Event(OWN, "message.broken", None, {}, NOW))
    frames.offer(_message(2))
    broken, fine = operation.sent
    assert broken["type"] == "next"
    assert broken["payload"]["data"] is None
    assert broken["payload"]["errors"][0]["message"].startswith("a non-null")
    assert fine["payload"]["data"] == {"messages": {"id": 2}}
    assert not frames.ended.done()


async def test_while_the_socket_pushes_back_frames_wait_in_order() -> None:
    operation = _Operation()
    frames = _frames(operation)
    operation.socket_full = asyncio.get_running_loop().create_future()
    for number in (1, 2, 3):
        frames.offer(_message(number))
    assert operation.sent == []
    operation.socket_full.set_result(None)
    await _loop_turns()  # the waiting send resumes, the two behind it follow at once
    assert operation.ids() == [1, 2, 3]
    frames.offer(_message(4))  # the socket takes data again: sent on the spot
    assert operation.ids() == [1, 2, 3, 4]


async def test_a_subscriber_whose_backlog_fills_is_dropped_and_its_backlog_with_it() -> None:
    operation = _Operation()
    frames = _frames(operation, backlog_limit=2)
    operation.socket_full = asyncio.get_running_loop().create_future()
    for number in (1, 2, 3, 4):  # 1 waits on the socket, 2 and 3 fill the backlog
        frames.offer(_message(number))
    assert isinstance(frames.ended.result(), SlowSubscriber)
    operation.socket_full.set_result(None)
    await _loop_turns()
    assert operation.ids() == [1]  # the send under way finishes; nothing queued follows


async def test_a_revoked_session_ends_the_subscription_without_a_frame() -> None:
    operation = _Operation()
    frames = _frames(operation)
    frames.offer(Event(OWN, "session.revoked", None, {"reason": "deactivated"}, NOW))
    failure = frames.ended.result()
    assert isinstance(failure, Unauthenticated)
    assert "deactivated" in str(failure)
    frames.offer(_message(1))
    assert operation.sent == []


async def test_a_client_that_left_ends_the_subscription() -> None:
    operation = _Operation()
    frames = _frames(operation)
    operation.gone = True
    frames.offer(_message(1))
    assert isinstance(frames.ended.result(), ConnectionResetError)


async def test_nothing_is_sent_once_cancelled_not_even_the_waiting_frame() -> None:
    operation = _Operation()
    frames = _frames(operation)
    operation.socket_full = asyncio.get_running_loop().create_future()
    frames.offer(_message(1))
    frames.offer(_message(2))
    frames.cancel()  # the client completed the subscription
    operation.socket_full.set_result(None)
    await _loop_turns()
    assert operation.sent == []  # its id may already name a new subscription
    frames.offer(_message(3))
    assert operation.sent == []


async def test_the_backlog_counts_events_however_many_items_each_gives() -> None:
    operation = _Operation()
    frames = _frames(operation, backlog_limit=2)
    operation.socket_full = asyncio.get_running_loop().create_future()
    release = Event(OWN, "messages.batch", None, {"ids": list(range(10, 1010))}, NOW)
    frames.offer(release)  # one event, a thousand items: the first waits on the socket
    frames.offer(_message(1))
    assert not frames.ended.done()
    operation.socket_full.set_result(None)
    await _loop_turns()
    assert operation.ids() == [*range(10, 1010), 1]


async def test_a_send_that_fails_after_the_end_is_not_reported_as_unread(
    caplog: pytest.LogCaptureFixture,
) -> None:
    operation = _Operation()
    frames = _frames(operation)
    operation.socket_full = asyncio.get_running_loop().create_future()
    frames.offer(_message(1))
    frames.cancel()
    operation.gone = True  # the send under way fails once the socket frees up
    operation.socket_full.set_result(None)
    await _loop_turns()
    gc.collect()  # an unread task exception is logged when the task is collected
    assert "never retrieved" not in caplog.text


async def test_run_until_blocked_finishes_what_never_waits_on_the_spot() -> None:
    done: list[str] = []
    ready = asyncio.get_running_loop().create_future()
    ready.set_result(None)

    async def quick() -> None:
        await ready  # awaits, but has nothing to wait for
        done.append("quick")

    assert run_until_blocked(quick()) is None
    assert done == ["quick"]

    async def failing() -> None:
        raise ValueError("at once")

    with pytest.raises(ValueError, match="at once"):
        run_until_blocked(failing())


async def test_run_until_blocked_hands_what_waits_to_a_task() -> None:
    gate = asyncio.get_running_loop().create_future()
    steps: list[str] = []

    async def waits() -> None:
        steps.append("before")
        value = await gate
        steps.append(f"after {value}")

    rest = run_until_blocked(waits())
    assert rest is not None
    assert steps == ["before"]
    gate.set_result(42)
    await rest
    assert steps == ["before", "after 42"]


async def test_a_task_finishing_a_send_passes_cancellation_in() -> None:
    gate = asyncio.get_running_loop().create_future()
    cleaned: list[bool] = []

    async def waits() -> None:
        try:
            await gate
        finally:
            cleaned.append(True)

    rest = run_until_blocked(waits())
    assert rest is not None
    rest.cancel()
    with pytest.raises(asyncio.CancelledError):
        await rest
    assert cleaned == [True]
