"""Layers as CONTRIBUTING.md states them, checked in the source."""

from __future__ import annotations

import ast
from pathlib import Path

import gql_crm.schema
from gql_crm.db.engine import Database, SharedReads
from gql_crm.loaders import Loaders
from gql_crm.loaders.base import Loader
from gql_crm.loaders.customer_record import load_tasks

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


def test_loaders_are_declared_in_their_modules_and_made_once_per_request(
    database: Database,
) -> None:
    declared = {
        name: owner.__module__
        for owner in Loaders.__mro__
        for name, value in vars(owner).items()
        if isinstance(value, Loader)
    }
    assert declared["customer_tasks"] == "gql_crm.loaders.customer_record"
    assert "gql_crm.loaders" not in declared.values()

    loaders = Loaders(SharedReads(database))
    tasks = loaders.customer_tasks
    # One DataLoader per name per request, the same one its load function gives.
    assert loaders.customer_tasks is tasks
    assert loaders.of(load_tasks) is tasks
    assert Loaders(SharedReads(database)).customer_tasks is not tasks


def _runtime_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run: not those under ``if TYPE_CHECKING:`` (annotations only)."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            continue
        found += [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
    return found


def test_no_resolver_runs_sql() -> None:
    """Resolvers turn arguments into service calls and wrap results: statements, sort keys and
    sessions live in services, loaders and db/."""
    resolvers = Path(gql_crm.schema.__file__).parent.parent / "resolvers"
    found = []
    for path in sorted(resolvers.glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in _runtime_imports(tree):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names]
            if any(name.split(".")[0] == "sqlalchemy" for name in names):
                found.append(f"{path.name}:{node.lineno} imports SQLAlchemy")
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and getattr(call.func, "attr", None) in QUERYING_CALLS:
                found.append(f"{path.name}:{call.lineno} .{getattr(call.func, 'attr', '')}(...)")
    assert not found, "resolvers/ must not run SQL:\n" + "\n".join(found)
