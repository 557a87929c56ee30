"""The GraphQL-over-HTTP audit of the graphql-http package (npm), against a real server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gql_crm.settings import Settings
from tests.fixtures.node import needs_node, node
from tests.server_process import serve

# Every audit of the pinned graphql-http release, MAY included.
EXPECTED = {"MUST": 13, "SHOULD": 23, "MAY": 25}


@needs_node
async def test_the_graphql_over_http_audit_passes_in_full(
    settings: Settings, migrated: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Several audits query __type (the production default, introspection off, refuses them
    # as validation errors, as it should); the server process reads its environment.
    monkeypatch.setenv("GQL_CRM_INTROSPECTION", "true")
    async with serve(settings, settings.redis_url or "", tmp_path) as base:
        report = json.loads(await node("node", "audit.mjs", f"{base}/graphql"))
    counts = report["counts"]
    print(
        "graphql-http audit:",
        ", ".join(f"{level} {c['passed']}/{c['total']}" for level, c in counts.items()),
    )
    assert report["misses"] == []
    assert {level: c["passed"] for level, c in counts.items()} == EXPECTED
