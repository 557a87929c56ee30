"""The gql-crm command: refusals that protect a deployment, migrations and demo data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from gql_crm.cli import main


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh embedded configuration in its own data directory."""
    for name in ("GQL_CRM_DATABASE_URL", "GQL_CRM_REDIS_URL", "GQL_CRM_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GQL_CRM_DATA_DIR", str(tmp_path))
    return tmp_path


def test_several_workers_need_redis(embedded: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--workers", "2"])
    assert result.exit_code == 2
    assert "--workers > 1 needs GQL_CRM_REDIS_URL" in result.output


def test_a_server_database_needs_a_shared_secret_key(
    embedded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GQL_CRM_DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:1/none")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2
    assert "GQL_CRM_SECRET_KEY must be set" in result.output


def test_migrate_then_seed_demo_is_idempotent(embedded: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"]).exit_code == 0
    first = runner.invoke(main, ["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Demo data created" in first.output
    second = runner.invoke(main, ["seed-demo"])
    assert second.exit_code == 0
    assert "Demo data created" not in second.output
    with sqlite3.connect(embedded / "gql-crm.sqlite3") as connection:
        logins = {row[0] for row in connection.execute("SELECT login_name FROM users")}
        options = connection.execute("SELECT count(*) FROM maturity_options").fetchone()
        pools = dict(connection.execute("SELECT pool, count(*) FROM customers GROUP BY pool"))
        contactless = connection.execute(
            "SELECT count(*) FROM customers c WHERE NOT EXISTS "
            "(SELECT 1 FROM contacts k WHERE k.customer_id = c.id AND k.is_primary)"
        ).fetchone()
    assert logins == {"admin", "manager1", "sales1", "sales2", "sales3"}
    assert options == (10,)
    assert pools == {"private": 40, "temporary": 25, "public": 125, "special": 10}
    assert contactless == (0,), "every demo customer has a primary contact"
    assert (embedded / "secret_key").exists() is False, "migrating needs no signing key"


def test_rebuild_statistics_recomputes_the_sums_from_the_orders(embedded: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"]).exit_code == 0
    assert runner.invoke(main, ["seed-demo"]).exit_code == 0
    database = embedded / "gql-crm.sqlite3"

    def sums() -> list[tuple[object, ...]]:
        with sqlite3.connect(database) as connection:
            return connection.execute(
                "SELECT owner_id, day, deal_type_id, signed_orders, signed_amount, received "
                "FROM statistics_order_days WHERE signed_orders > 0 OR payments > 0 "
                "ORDER BY 1, 2, 3"
            ).fetchall()

    kept = sums()
    assert kept, "the demo's orders are summed as they are written"
    with sqlite3.connect(database) as connection:  # as a restore of part of the data would
        connection.execute("DELETE FROM statistics_order_days")
    assert sums() == []
    result = runner.invoke(main, ["rebuild-statistics"])
    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.output
    assert sums() == kept


def test_create_admin_refuses_a_weak_password(embedded: Path) -> None:
    runner = CliRunner()
    runner.invoke(main, ["migrate"])
    weak = runner.invoke(main, ["create-admin", "--login-name", "boss"], input="short\nshort\n")
    assert weak.exit_code == 1
    assert "at least 8 characters" in weak.output
    ok = runner.invoke(
        main, ["create-admin", "--login-name", "boss"], input="long-enough-1\nlong-enough-1\n"
    )
    assert ok.exit_code == 0, ok.output
    taken = runner.invoke(
        main, ["create-admin", "--login-name", "boss"], input="long-enough-1\nlong-enough-1\n"
    )
    assert "is taken" in taken.output


def test_export_schema_prints_the_sdl() -> None:
    result = CliRunner().invoke(main, ["export-schema"])
    assert result.exit_code == 0
    assert "type Query {" in result.output
    assert "directive @requiresPermission" in result.output
