"""The bus on its own: one event per local subscriber, channels rejoined, slow consumers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from gql_crm.subscriptions.bus import Bus, Event, SlowSubscriber

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def bus() -> AsyncIterator[Bus]:
    bus = Bus("memory://", namespace="test-bus", queue_size=2)
    await bus.connect()
    try:
        yield bus
    finally:
        await bus.disconnect()


def _event(channel: str, number: int) -> Event:
    return Event(channel, "test", number, {"n": number}, NOW)


async def test_every_local_subscriber_gets_each_event_once(bus: Bus) -> None:
    async with bus.subscribe("topic") as first, bus.subscribe("topic", "other") as second:
        await bus.publish(_event("topic", 1))
        for subscription in (first, second):
            event = await subscription.next(1.0)
            assert event is not None
            assert event.id == 1
            assert await subscription.next(0.05) is None


@pytest.fixture(params=["memory", "redis"])
async def any_bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    """The embedded bus, and (in the Redis pass) one over Redis."""
    url = "memory://" if request.param == "memory" else request.getfixturevalue("redis_url")
    bus = Bus(url, namespace=f"test-bus-{uuid.uuid4().hex}", queue_size=100)
    await bus.connect()
    try:
        yield bus
    finally:
        await bus.disconnect()


async def test_events_published_together_arrive_in_order(any_bus: Bus) -> None:
    async with any_bus.subscribe("a") as first, any_bus.subscribe("b") as second:
        await any_bus.publish(*(_event("a" if n % 2 else "b", n) for n in range(40)))
        for subscription, numbers in ((first, range(1, 40, 2)), (second, range(0, 40, 2))):
            for number in numbers:
                event = await subscription.next(2.0)
                assert event is not None
                assert event.id == number
            assert await subscription.next(0.05) is None


async def test_a_channel_left_and_joined_at_once_still_delivers(bus: Bus) -> None:
    async with bus.subscribe("topic"):
        pass
    async with bus.subscribe("topic") as again:
        await bus.publish(_event("topic", 2))
        event = await again.next(1.0)
        assert event is not None
        assert event.id == 2


async def test_a_subscriber_that_falls_behind_is_dropped(bus: Bus) -> None:
    async with bus.subscribe("topic") as slow, bus.subscribe("marker") as marker:
        for number in range(3):  # one more than the queue holds
            await bus.publish(_event("topic", number))
        await bus.publish(_event("marker", 9))
        # Events are delivered in order: once the marker is here, so are the three.
        assert await marker.next(1.0) is not None
        assert slow.failed
        with pytest.raises(SlowSubscriber):
            await slow.next(1.0)


async def test_disconnect_ends_a_supervisor_that_dropped_its_cancellation(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Python 3.11 ``asyncio.wait_for`` drops a cancellation that arrives as the call it
    waits on completes, and the heartbeat waits on one. A supervisor that lost the shutdown's
    cancellation that way went on with its loop, and the shutdown waited for it forever."""
    bus = Bus(redis_url, namespace=f"test-bus-{uuid.uuid4().hex}", heartbeat_interval=0.01)
    in_heartbeat = asyncio.Event()
    dropped = False

    async def heartbeat_that_drops_one_cancellation() -> bool:
        nonlocal dropped
        in_heartbeat.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            if dropped:
                raise
            dropped = True
        return True

    monkeypatch.setattr(bus, "_heartbeat", heartbeat_that_drops_one_cancellation)
    await bus.connect()
    await asyncio.wait_for(in_heartbeat.wait(), 5)
    stopping = asyncio.create_task(bus.disconnect())
    ended, _ = await asyncio.wait([stopping], timeout=5)
    if not ended:  # cancelled from outside, it still ends the supervisor: clean up, then fail
        stopping.cancel()
        await asyncio.wait([stopping], timeout=5)
    assert dropped
    assert ended, "disconnect() waited for the supervisor's loop"
