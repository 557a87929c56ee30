from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gql_crm.settings import Settings


@pytest.fixture(autouse=True)
def attachments_dir(settings: Settings, tmp_path: Path) -> Iterator[Path]:
    """A fresh, empty attachments directory per test, so a test can see all it stored."""
    root = tmp_path / "attachments"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "attachments_dir", root)
        yield root
