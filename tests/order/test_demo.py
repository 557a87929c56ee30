"""The demo company's pipeline data is there and keeps the money rules."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from gql_crm.cli import main
from tests.app.test_cli import embedded

__all__ = ["embedded"]


def test_seed_demo_adds_a_consistent_pipeline(embedded: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"]).exit_code == 0
    assert runner.invoke(main, ["seed-demo"]).exit_code == 0
    with sqlite3.connect(embedded / "gql-crm.sqlite3") as db:
        counts = {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in (
                "products",
                "opportunities",
                "orders",
                "payment_plans",
                "payment_records",
                "refunds",
                "invoices",
                "delivery_records",
                "expenses",
            )
        }
        stages = db.execute("SELECT count(DISTINCT stage_id) FROM opportunities").fetchone()[0]
        broken = db.execute(
            "SELECT count(*) FROM orders o WHERE "
            "o.amount != (SELECT sum(amount) FROM order_lines WHERE order_id = o.id) "
            "OR (SELECT coalesce(sum(amount), 0) FROM payment_records WHERE order_id = o.id)"
            " > o.amount "
            "OR (SELECT coalesce(sum(amount), 0) FROM refunds WHERE order_id = o.id)"
            " > (SELECT coalesce(sum(amount), 0) FROM payment_records WHERE order_id = o.id)"
        ).fetchone()[0]
        not_won = db.execute(
            "SELECT count(*) FROM customers c WHERE c.closed_won_at IS NULL AND EXISTS "
            "(SELECT 1 FROM orders o WHERE o.customer_id = c.id)"
        ).fetchone()[0]
    assert all(counts.values()), counts
    assert counts["refunds"] >= 1 and stages >= 5
    assert (broken, not_won) == (0, 0)
