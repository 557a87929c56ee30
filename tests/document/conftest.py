from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gql_crm.settings import Settings
from tests.fixtures.s3 import Bucket

Listing = Callable[[], list[str]]


@pytest.fixture(autouse=True)
def documents_dir(settings: Settings, tmp_path: Path) -> Iterator[Path]:
    """A fresh, empty documents directory per test, so a test can see all it stored."""
    root = tmp_path / "documents"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "documents_dir", root)
        yield root


@pytest.fixture(params=["local", "s3"])
def stored(request: pytest.FixtureRequest, documents_dir: Path) -> Listing:
    """The names of every file the configured store holds (staging area included)."""
    if request.param == "s3":
        bucket: Bucket = request.getfixturevalue("s3_bucket")
        return bucket.names
    return lambda: sorted(str(p) for p in documents_dir.rglob("*") if p.is_file())
