"""Pooled PostgreSQL connections that the server closed are replaced before a request uses
them (a restart, an idle timeout or an administrator ends every connection)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from gql_crm.db.engine import Database
from gql_crm.services.unit_of_work import Services
from tests.graphql_client import GraphQLClient

TERMINATE_OTHERS = """
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


@pytest.mark.postgres
async def test_requests_survive_the_server_closing_pooled_connections(
    admin: GraphQLClient, services: Services, database: Database
) -> None:
    if database.dialect != "postgresql":
        pytest.skip("PostgreSQL's connections")
    view = "{ me { loginName } customer(id: 1) { id } }"
    await asyncio.gather(*(admin.data(view) for _ in range(5)))  # several pooled connections
    assert services.database.engine.pool.checkedin() > 0  # type: ignore[attr-defined]
    async with database.engine.connect() as connection:
        ended = await connection.scalar(text(TERMINATE_OTHERS))
    assert ended and ended > 0
    await asyncio.sleep(0.2)  # the sockets' ends reach the event loop
    for _ in range(5):
        assert (await admin.data(view))["me"] == {"loginName": "admin"}
