from __future__ import annotations

from collections.abc import Iterator

import pytest

from gql_crm.settings import Settings


@pytest.fixture(autouse=True)
def jobs_in_process(settings: Settings) -> Iterator[None]:
    """Jobs run in the test's process, where a test can wait for them, with Redis or not."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "jobs_in_process", True)
        yield
