"""The GraphQL-over-HTTP audit of the graphql-http package (npm), against a real server."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from gql_crm.settings import Settings
from tests.server_process import serve

AUDIT = Path(__file__).parent.parent / "http_audit"
# Every audit of the pinned graphql-http release, MAY included.
EXPECTED = {"MUST": 13, "SHOULD": 23, "MAY": 25}


async def _run(*command: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=AUDIT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(300):
        stdout, stderr = await process.communicate()
    assert process.returncode == 0, f"{' '.join(command)}: {stderr.decode()}"
    return stdout.decode()


async def _install() -> None:
    """node_modules from the lock file, once (ignored by git; npm keeps its own cache)."""
    installed = AUDIT / "node_modules" / ".package-lock.json"
    lock = AUDIT / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    await _run("npm", "ci", "--no-audit", "--no-fund", "--prefer-offline")


@pytest.mark.skipif(shutil.which("npm") is None, reason="needs Node.js and npm")
async def test_the_graphql_over_http_audit_passes_in_full(
    settings: Settings, migrated: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _install()
    # Several audits query __type (the production default, introspection off, refuses them
    # as validation errors, as it should); the server process reads its environment.
    monkeypatch.setenv("GQL_CRM_INTROSPECTION", "true")
    async with serve(settings, settings.redis_url or "", tmp_path) as base:
        report = json.loads(await _run("node", "audit.mjs", f"{base}/graphql"))
    counts = report["counts"]
    print(
        "graphql-http audit:",
        ", ".join(f"{level} {c['passed']}/{c['total']}" for level, c in counts.items()),
    )
    assert report["misses"] == []
    assert {level: c["passed"] for level, c in counts.items()} == EXPECTED
