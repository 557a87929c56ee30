"""The demo company has customer records, so its customer view and workbench show data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from gql_crm.cli import main
from tests.app.test_cli import embedded

__all__ = ["embedded"]


def test_seed_demo_adds_customer_records(embedded: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"]).exit_code == 0
    assert runner.invoke(main, ["seed-demo"]).exit_code == 0
    tables = (
        "tasks",
        "schedules",
        "customer_notes",
        "call_records",
        "complaints",
        "service_records",
    )
    with sqlite3.connect(embedded / "gql-crm.sqlite3") as db:
        for table in tables:
            total, foreign = db.execute(
                f"SELECT count(*), sum(r.owner_id != c.owner_id) FROM {table} r "
                "JOIN customers c ON c.id = r.customer_id"
            ).fetchone()
            assert total > 0 and foreign == 0, table
