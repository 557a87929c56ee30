"""/readyz names the dependency that failed; the details go to the log, not to the caller."""

from __future__ import annotations

import dataclasses
import logging

import httpx
import pytest
from starlette.applications import Starlette

from gql_crm.db.engine import Database
from gql_crm.services.unit_of_work import Services
from gql_crm.settings import Settings


async def test_an_unreachable_database_is_named_and_its_error_logged(
    app: Starlette, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    services: Services = app.state.services
    broken = Database(Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none"))
    app.state.services = dataclasses.replace(services, database=broken)
    try:
        with caplog.at_level(logging.WARNING, logger="gql_crm.health"):
            response = await http.get("/readyz")
    finally:
        app.state.services = services
        await broken.dispose()

    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
    assert response.json()["ready"] is False
    assert "Error" not in response.text
    logged = [r for r in caplog.records if r.name == "gql_crm.health"]
    assert logged and logged[0].exc_info is not None
