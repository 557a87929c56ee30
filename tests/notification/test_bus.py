"""The bus on its own: one event per local subscriber, channels rejoined, slow consumers."""

from __future__ import annotations

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
