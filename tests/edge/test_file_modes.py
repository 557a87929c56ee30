"""The SQLite database (with its -wal and -shm files), the signing key and the attachments
are readable by the server's user only: files 0600, directories 0700."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from gql_crm.db.engine import Database
from gql_crm.services.unit_of_work import Services
from gql_crm.settings import Settings
from tests.attachment.support import PDF, stored_files, upload
from tests.fixtures.factories import make_customer
from tests.graphql_client import GraphQLClient


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_new_sqlite_database_and_its_journal_are_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", database_url="", secret_key=None)
    database = Database(settings)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (x INTEGER)"))
            await connection.execute(text("INSERT INTO t VALUES (1)"))
        files = [settings.data_dir / name for name in ("gql-crm.sqlite3",)]
        files += [Path(f"{files[0]}-wal"), Path(f"{files[0]}-shm")]
        assert all(f.exists() for f in files), "WAL mode keeps a -wal and a -shm file"
        assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert _mode(settings.data_dir) == 0o700
        _ = settings.signing_key  # generated beside the database
        assert _mode(settings.data_dir / "secret_key") == 0o600
    finally:
        await database.dispose()


async def test_files_made_readable_by_an_earlier_release_are_tightened(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", database_url="")
    settings.data_dir.mkdir(mode=0o755)
    path = settings.data_dir / "gql-crm.sqlite3"
    path.touch(mode=0o644)
    path.chmod(0o644)
    settings.data_dir.chmod(0o755)
    database = Database(settings)
    await database.dispose()
    assert _mode(path) == 0o600
    assert _mode(settings.data_dir) == 0o700


async def test_attachments_and_their_directories_are_private(
    sales1: GraphQLClient, services: Services, settings: Settings, tmp_path: Path
) -> None:
    root = tmp_path / "files" / "attachments"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "attachments_dir", root)
        customer_id = await make_customer(services, "sales1")
        result = await upload(sales1, "CUSTOMER", customer_id, "a.pdf", PDF, "application/pdf")
    assert result["__typename"] == "AttachmentSuccess"
    [stored] = stored_files(root)
    assert _mode(stored) == 0o600
    directories = [root, root / ".incoming", stored.parent, root.parent]
    assert {str(d): _mode(d) for d in directories} == {str(d): 0o700 for d in directories}
