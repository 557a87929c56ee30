"""Layers as CONTRIBUTING.md states them, checked in the source."""

from __future__ import annotations

import ast
from pathlib import Path

import gql_crm.schema

SCHEMA_DIR = Path(gql_crm.schema.__file__).parent
# What reading the database looks like: opening a session, or running a statement on one.
QUERYING_CALLS = {"reader", "writer", "session", "scalar", "scalars", "execute", "stream"}


def test_no_schema_module_issues_a_query() -> None:
    """Types read related records through loaders and counts through the callables their
    resolver supplies; a query in a type escapes the request's read session."""
    found = []
    for path in sorted(SCHEMA_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in QUERYING_CALLS
            ):
                found.append(f"{path.name}:{node.lineno} .{node.func.attr}(...)")
    assert not found, "schema/ must not query the database:\n" + "\n".join(found)
