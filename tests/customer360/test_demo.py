"""The demo company: made through the services, so it keeps every pool rule it shows; its
customer view and workbench show data; the organisation the tests start from is the one
the services make."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gql_crm.auth.passwords import hash_password
from gql_crm.cli import main
from gql_crm.db.engine import Database
from gql_crm.db.migrate import upgrade
from gql_crm.seed.demo import TEMPORARY_POOL_CAP, seed_organisation
from gql_crm.services.setting import ensure_defaults
from gql_crm.settings import Settings
from tests.conftest import DEMO_PASSWORD, START


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    """The demo company made by ``gql-crm seed-demo`` in a fresh embedded database, once for
    this module's tests, which only read it."""
    data_dir = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("GQL_CRM_DATABASE_URL", "GQL_CRM_REDIS_URL", "GQL_CRM_SECRET_KEY"):
            patch.delenv(name, raising=False)
        patch.setenv("GQL_CRM_DATA_DIR", str(data_dir))
        runner = CliRunner()
        assert runner.invoke(main, ["migrate"]).exit_code == 0
        seeded = runner.invoke(main, ["seed-demo"])
        assert seeded.exit_code == 0, seeded.output
    with sqlite3.connect(data_dir / "gql-crm.sqlite3") as connection:
        yield connection


def rows(db: sqlite3.Connection, sql: str) -> list[tuple[Any, ...]]:
    return db.execute(sql).fetchall()


def test_seed_demo_adds_customer_records(demo: sqlite3.Connection) -> None:
    tables = (
        "tasks",
        "schedules",
        "customer_notes",
        "call_records",
        "complaints",
        "service_records",
    )
    for table in tables:
        total, foreign = demo.execute(
            f"SELECT count(*), sum(r.owner_id != c.owner_id) FROM {table} r "
            "JOIN customers c ON c.id = r.customer_id"
        ).fetchone()
        assert total > 0 and foreign == 0, table


def test_the_demo_keeps_the_pool_rules(demo: sqlite3.Connection) -> None:
    private_cap, temporary_cap = demo.execute(
        "SELECT private_pool_cap, temporary_pool_cap FROM system_settings"
    ).fetchone()
    assert temporary_cap == TEMPORARY_POOL_CAP
    held = dict(
        ((login, pool), n)
        for login, pool, n in rows(
            demo,
            "SELECT u.login_name, c.pool, count(*) FROM customers c "
            "JOIN users u ON u.id = c.owner_id "
            "WHERE c.closed_won_at IS NULL AND c.deleted_at IS NULL GROUP BY 1, 2",
        )
    )
    caps = {"private": private_cap, "temporary": temporary_cap}
    assert {k: n for k, n in held.items() if n > caps[k[1]]} == {}, "no owner above a cap"
    assert held["sales2", "temporary"] == temporary_cap - 1, "one claim left before the cap"
    # Placed by maturity; only a claim (public -> temporary) or a transfer to the special
    # pool moves a customer out of its maturity's pool, and each is in the log.
    placed = rows(
        demo,
        "SELECT c.pool, c.temporary_origin, m.pool, "
        "  (SELECT group_concat(l.action, ',') FROM operation_logs l "
        "   WHERE l.entity_type = 'customer' AND l.entity_id = c.id "
        "   AND l.action IN ('create', 'claim', 'transfer') ORDER BY l.id) "
        "FROM customers c JOIN maturity_options m ON m.id = c.maturity_id",
    )
    assert len(placed) == 200
    paths = {(pool, origin, grade, log) for pool, origin, grade, log in placed}
    assert paths == {
        ("private", None, "private", "create"),
        ("temporary", "entered", "temporary", "create"),
        ("temporary", "claimed", "public", "create,claim"),
        ("public", None, "public", "create"),
        ("special", None, "public", "create,transfer"),
    }
    claimers = rows(
        demo,
        "SELECT count(*) FROM operation_logs l JOIN customers c ON c.id = l.entity_id "
        "WHERE l.action = 'claim' AND l.actor_id = c.owner_id",
    )
    assert claimers == [(3,)], "claimed by their owners"
    # Follow-ups by the owner, never after their customer's last one, never before it
    # entered its owner's pool; the pool clock is the latest of them.
    assert rows(
        demo,
        "SELECT count(*) FROM follow_ups f JOIN customers c ON c.id = f.customer_id "
        "WHERE f.author_id != c.owner_id OR f.followed_at < c.pool_entered_at "
        "OR f.followed_at > c.last_follow_up_at",
    ) == [(0,)]
    assert rows(
        demo,
        "SELECT count(*) FROM customers c WHERE c.last_follow_up_at IS NOT "
        "(SELECT max(f.followed_at) FROM follow_ups f WHERE f.customer_id = c.id)",
    ) == [(0,)]


ORGANISATION = (
    "SELECT company_name FROM system_settings",
    "SELECT name, description, permissions, data_scope FROM positions ORDER BY id",
    "SELECT d.id, d.name, d.parent_id, m.login_name, d.sort_order FROM departments d "
    "LEFT JOIN users m ON m.id = d.manager_id ORDER BY d.id",
    "SELECT u.id, u.login_name, u.name, u.department_id, u.position_id, u.phone, u.email, "
    "u.is_active FROM users u ORDER BY u.id",
)


def test_the_tests_start_from_the_organisation_the_services_make(
    demo: sqlite3.Connection, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'org.sqlite3'}"
    )
    upgrade(settings)

    async def organisation() -> None:
        database = Database(settings)
        try:
            async with database.writer() as session, session.begin():
                await ensure_defaults(session)
                await seed_organisation(
                    session, password_hash=hash_password(DEMO_PASSWORD), now=START
                )
        finally:
            await database.dispose()

    asyncio.run(organisation())
    with sqlite3.connect(tmp_path / "org.sqlite3") as direct:
        for sql in ORGANISATION:
            assert rows(direct, sql) == rows(demo, sql), sql
