"""Publish/subscribe over ``broadcaster``: ``memory://`` embedded, Redis in production.

Events travel as JSON envelopes (channel, type, id, payload, time). The database row is the
truth and an event is a hint: a client that missed one re-queries.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from broadcaster import Broadcast


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


class Bus:
    def __init__(self, url: str) -> None:
        self.url = url
        self._broadcast = Broadcast(url)

    async def connect(self) -> None:
        await self._broadcast.connect()

    async def disconnect(self) -> None:
        await self._broadcast.disconnect()

    async def publish(self, event: Event) -> None:
        await self._broadcast.publish(channel=event.channel, message=event.encode())

    async def subscribe(self, channel: str) -> AsyncIterator[Event]:
        async with self._broadcast.subscribe(channel=channel) as subscriber:
            async for message in subscriber:  # type: ignore[union-attr]
                if message is not None:
                    yield Event.decode(message.message)
