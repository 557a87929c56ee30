"""What travels on the bus: the event envelope and the channels it is addressed to.

Events travel as JSON envelopes (channel, type, id, payload, time). The database row is the
truth and an event is a hint: a client that missed one re-queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson


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
