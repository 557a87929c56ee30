"""The README's forecast example answers with the demo company's opportunities whenever the
demo is made: it names no dates that go stale."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from click.testing import CliRunner

from gql_crm.app import create_app
from gql_crm.cli import main
from gql_crm.settings import Settings
from tests.app.test_cli import embedded
from tests.conftest import DEMO_PASSWORD
from tests.graphql_client import GraphQLClient

__all__ = ["embedded"]
README = Path(__file__).parents[2] / "README.md"


def readme_query(field: str) -> str:
    """The README's example query that starts with ``{ <field>``, braces balanced."""
    text = README.read_text()
    start = text.index("{ " + field)
    depth = 0
    for end in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            return re.sub(r"#[^\n]*", "", text[start : end + 1])
    raise AssertionError(f"unbalanced example of {field}")


async def _as_manager1(query: str) -> dict[str, Any]:
    app = create_app(Settings())
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as http:
            manager1 = await GraphQLClient(http).as_user("manager1", DEMO_PASSWORD)
            return await manager1.data(query)


def test_the_readme_forecast_shows_the_demo_pipeline(embedded: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"]).exit_code == 0
    seeded = runner.invoke(main, ["seed-demo"], env={"GQL_CRM_DEMO_PASSWORD": DEMO_PASSWORD})
    assert seeded.exit_code == 0, seeded.output
    forecast = asyncio.run(_as_manager1(readme_query("salesForecast")))["salesForecast"]
    assert forecast["total"]["count"] > 0
    assert Decimal(forecast["total"]["weightedAmount"]) > 0
    assert forecast["byUser"] and forecast["byDepartment"]
