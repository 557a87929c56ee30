"""Open connections' objects are frozen once they settle, and collected once many close."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from gql_crm.subscriptions.long_lived import LongLivedConnections

# These tests run full collections in the test process: whatever an earlier test left for the
# collector (an unclosed connection's ResourceWarning...) would be reported here.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


class _Cycle:
    def __init__(self) -> None:
        self.me = self


async def test_arrivals_are_frozen_and_closures_collected(unfrozen: None) -> None:
    connections = LongLivedConnections(settle_seconds=0.01, min_arrivals=3)
    try:
        for _ in range(4):
            connections.opened()
        await asyncio.sleep(0.05)
        assert gc.get_freeze_count() > 0, "settled connections are frozen"

        # A cycle that becomes garbage while frozen is not collected...
        cycle = _Cycle()
        gc.freeze()
        alive = weakref.ref(cycle)
        del cycle
        gc.collect()
        assert alive() is not None

        # ...until a quarter of the frozen connections have closed: one full pass then.
        for _ in range(3):
            connections.closed()
        await asyncio.sleep(0.05)
        assert alive() is None
        assert gc.get_freeze_count() > 0, "and what is still open is frozen again"
    finally:
        connections.stop()


async def test_few_arrivals_change_nothing(unfrozen: None) -> None:
    connections = LongLivedConnections(settle_seconds=0.01, min_arrivals=10)
    try:
        connections.opened()
        await asyncio.sleep(0.05)
        assert gc.get_freeze_count() == 0
    finally:
        connections.stop()
