"""The customer-view benchmark data: every part in its ratio per customer, consistent money,
and a view that the ``bench`` user reads in full through the normal permission path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import text

from gql_crm.app import create_app
from gql_crm.cli import main
from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from gql_crm.seed import bench as bench_seed
from gql_crm.seed.bench import BENCH_LOGIN, PASSWORD, SeedRefused, seed_benchmark
from gql_crm.settings import Settings
from tests.conftest import START
from tests.customer360.test_statement_counts import VIEW
from tests.fixtures.live_server import started
from tests.graphql_client import GraphQLClient

CUSTOMERS = 20

# Per customer: (fewest, most) records of each part, as the generator promises.
PER_CUSTOMER = {
    "contacts": (3, 7),
    "follow_ups": (5, 15),
    "tasks": (1, 5),
    "schedules": (1, 3),
    "opportunities": (1, 5),
    "complaints": (1, 2),
    "service_records": (1, 2),
    "customer_notes": (1, 2),
    "call_records": (1, 2),
    "expenses": (1, 2),
}
PARTS = [
    "contacts", "schedules", "tasks", "followUps", "opportunities", "orders", "complaints",
    "serviceRecords", "notes", "callRecords", "paymentPlans", "payments", "invoices", "expenses",
    "attachments", "operationLog",
]  # fmt: skip


async def test_sqlite_is_refused(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(SeedRefused, match="needs PostgreSQL"):
        await seed_benchmark(settings, 10)
    assert not (tmp_path / "x.sqlite3").exists()


def test_the_command_refuses_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}"
    result = CliRunner().invoke(main, ["bench-seed", "--customers", "5", "--database-url", url])
    assert result.exit_code == 2
    assert "needs PostgreSQL" in result.output


@pytest.fixture(scope="module")
async def seeded(settings: Settings, migrated: None) -> AsyncIterator[Database]:
    """The test database rebuilt with the benchmark data, once for this module's tests,
    which only read it (the next module's tests empty it again)."""
    if not settings.resolved_database_url.startswith("postgresql"):
        pytest.skip("the benchmark data is loaded with PostgreSQL-only SQL")
    lines: list[str] = []
    result = await seed_benchmark(settings, CUSTOMERS, now=START, report=lines.append)
    assert result.rows["customers"] == CUSTOMERS
    assert any(line.startswith("  follow_ups") for line in lines), "progress per table"
    database = Database(settings)
    yield database
    await database.dispose()


async def _scalar(database: Database, sql: str) -> object:
    async with database.engine.connect() as connection:
        return (await connection.execute(text(sql))).scalar_one()


@pytest.mark.postgres
async def test_every_part_in_its_ratio(seeded: Database) -> None:
    database = seeded
    assert await _scalar(database, "SELECT array_agg(id ORDER BY id) FROM customers") == list(
        range(1, CUSTOMERS + 1)
    )
    for table, (fewest, most) in PER_CUSTOMER.items():
        low, high = await _scalar_row(
            database,
            f"SELECT min(n), max(n) FROM (SELECT c.id, count(t.id) AS n FROM customers c "
            f"LEFT JOIN {table} t ON t.customer_id = c.id GROUP BY c.id) s",
        )
        assert fewest <= low and high <= most, (table, low, high)
    # Orders on four customers in five, two or three each, each with lines, plans and at
    # least its first payment.
    with_orders = await _scalar(database, "SELECT array_agg(DISTINCT customer_id) FROM orders")
    assert with_orders == [i for i in range(1, CUSTOMERS + 1) if i % 5 != 0]
    for child in ("order_lines", "payment_plans", "payment_records"):
        assert (
            await _scalar(
                database,
                f"SELECT count(*) FROM orders o WHERE NOT EXISTS "
                f"(SELECT 1 FROM {child} x WHERE x.order_id = o.id)",
            )
            == 0
        ), child
    assert (
        await _scalar(
            database,
            "SELECT count(*) FROM customers c WHERE (SELECT count(*) FROM contacts k "
            "WHERE k.customer_id = c.id AND k.is_primary) <> 1",
        )
        == 0
    ), "one primary contact each"
    orders = await _scalar(database, "SELECT count(*) FROM orders")
    assert isinstance(orders, int) and 2 * 16 <= orders <= 3 * 16


async def _scalar_row(database: Database, sql: str) -> tuple[int, int]:
    async with database.engine.connect() as connection:
        low, high = (await connection.execute(text(sql))).one()
    return int(low), int(high)


@pytest.mark.postgres
async def test_money_adds_up(seeded: Database) -> None:
    checks = {
        "an order is the sum of its lines": """
            SELECT count(*) FROM orders o WHERE o.amount <>
                (SELECT sum(amount) FROM order_lines l WHERE l.order_id = o.id)""",
        "a line is quantity x price x (1 - discount), to the cent": """
            SELECT count(*) FROM order_lines
            WHERE amount <> round(quantity * unit_price * (1 - discount), 2)""",
        "the plans cover the order exactly": """
            SELECT count(*) FROM orders o WHERE o.amount <>
                (SELECT sum(amount) FROM payment_plans p WHERE p.order_id = o.id)""",
        "nothing is paid beyond the order": """
            SELECT count(*) FROM orders o WHERE o.amount <
                (SELECT coalesce(sum(amount), 0) FROM payment_records p WHERE p.order_id = o.id)""",
        "a plan is met when the payments cover it and every plan due before it": """
            SELECT count(*) FROM payment_plans p WHERE p.met <> (
                (SELECT coalesce(sum(amount), 0) FROM payment_records r
                 WHERE r.order_id = p.order_id)
                >= (SELECT sum(amount) FROM payment_plans e WHERE e.order_id = p.order_id
                    AND (e.due_on, e.id) <= (p.due_on, p.id)))""",
        "payments are numbered 1, 2, ... per order": """
            SELECT count(*) FROM payment_records r WHERE r.sequence <>
                (SELECT count(*) FROM payment_records q
                 WHERE q.order_id = r.order_id AND q.id <= r.id)""",
        "closed-won exactly when there are orders": """
            SELECT count(*) FROM customers c
            WHERE (c.closed_won_at IS NOT NULL) <> EXISTS
                (SELECT 1 FROM orders o WHERE o.customer_id = c.id)""",
        "no owned customer is due for release yet": """
            SELECT count(*) FROM customers c, system_settings s
            WHERE c.owner_id IS NOT NULL AND c.closed_won_at IS NULL
              AND greatest(c.pool_entered_at, c.last_follow_up_at) + make_interval(days =>
                  CASE c.pool WHEN 'temporary' THEN s.temporary_release_days
                              ELSE s.private_no_contact_days END) <= CAST(:start AS timestamptz)""",
    }
    for rule, sql in checks.items():
        assert await _scalar(seeded, sql.replace(":start", f"'{START.isoformat()}'")) == 0, rule


@pytest.mark.postgres
async def test_broken_keys_are_caught(seeded: Database) -> None:
    """The loads skip the per-row key triggers; the set-based check afterwards must catch
    what they would have."""
    async with seeded.engine.connect() as connection:
        await connection.execute(text("SET session_replication_role = replica"))
        await connection.execute(
            text(
                "INSERT INTO follow_ups (customer_id, content, followed_at, created_at) "
                "VALUES (999999, 'x', now(), now())"
            )
        )
        await connection.execute(text("RESET session_replication_role"))
        with pytest.raises(RuntimeError, match="fk_follow_ups_customer_id_customers: 1 rows"):
            await bench_seed._check_foreign_keys(connection)
        await connection.rollback()


@pytest.mark.postgres
async def test_bench_reads_every_part_of_the_view(seeded: Database, settings: Settings) -> None:
    app = create_app(settings, clock=FrozenClock(START))
    async with started(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            bench = await GraphQLClient(http).as_user(BENCH_LOGIN, PASSWORD)
            me = await bench.data("{ me { position { name dataScope } } }")
            assert me["me"]["position"] == {"name": "Benchmark reader", "dataScope": "ALL"}
            for customer_id in (1, 2, 5, 13, 20):  # 5 and 20: prospects without orders
                view = (await bench.data(VIEW, id=customer_id))["customer"]
                assert view["id"] == customer_id
                assert view["primaryContact"]["mobile"].isdigit(), "contact details unmasked"
                has_orders = customer_id % 5 != 0
                for part in PARTS:
                    expected = has_orders or part not in {
                        "orders", "paymentPlans", "payments", "invoices"
                    }  # fmt: skip
                    listed = view[part]
                    listed = listed["nodes"] if isinstance(listed, dict) else listed  # pages
                    assert bool(listed) == expected, (customer_id, part)
                schedules = view["schedules"]["nodes"]
                assert any(s["startsAt"] > START.isoformat() for s in schedules)
            first = (await bench.data(VIEW, id=1))["customer"]
            assert first["money"]["contractTotal"] != "0.00"
