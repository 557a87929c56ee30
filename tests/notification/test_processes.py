"""Across real server processes: Redis carries events between them and survives restarts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gql_crm.db.engine import Database
from gql_crm.settings import Settings
from tests.server_process import RedisServer, serve
from tests.ws_client import LiveClient, live_client

NOTIFICATIONS = "subscription { notifications { notification { title kind } } }"
LOGIN = """mutation($name: String!) { login(loginName: $name, password: "demo-password") {
  ... on LoginSuccess { token user { id } } } }"""
WORK_LOG = """mutation($leader: Int!) { submitWorkLog(leaderId: $leader, logDate: "2026-03-02",
  content: "Visited three customers.") { __typename } }"""


async def _post(base: str, query: str, token: str | None = None, **variables: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{base}/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    return response.json()["data"]


async def _login(base: str, name: str) -> tuple[str, int]:
    login = (await _post(base, LOGIN, name=name))["login"]
    return login["token"], int(login["user"]["id"])


def _ws(base: str) -> str:
    return base.replace("http://", "ws://") + "/graphql"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path


async def test_an_event_caused_on_one_process_reaches_a_subscriber_on_another(
    settings: Settings, database: Database, redis_url: str, data_dir: Path
) -> None:
    async with (
        serve(settings, redis_url, data_dir) as first,
        serve(settings, redis_url, data_dir) as second,
    ):
        manager_token, manager_id = await _login(first, "manager1")
        sales_token, _ = await _login(second, "sales1")
        async with live_client(token=manager_token, url=_ws(first)) as live:
            await live.subscribe(NOTIFICATIONS)
            await asyncio.sleep(0.3)
            result = await _post(second, WORK_LOG, sales_token, leader=manager_id)
            assert result["submitWorkLog"]["__typename"] == "WorkLogSuccess"
            push = (await live.next_data(within=10))["notifications"]
            assert push["notification"]["kind"] == "work_log"


async def _resubscribe_until_delivered(
    live: LiveClient, base: str, sales_token: str, manager_id: int, seconds: float = 30.0
) -> bool:
    """Re-subscribe as a client would after an interruption, until an event arrives."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        await live.subscribe(NOTIFICATIONS)
        await asyncio.sleep(0.5)
        probe = await _post(base, WORK_LOG, sales_token, leader=manager_id)
        assert probe["submitWorkLog"]["__typename"] == "WorkLogSuccess"
        with contextlib.suppress(TimeoutError):
            while True:
                message = await live.receive(within=2)
                if message["type"] == "next":
                    return True
    return False


@pytest.fixture
async def private_redis(redis_url: str) -> AsyncIterator[RedisServer]:
    """Only where Redis is part of the run (the PostgreSQL + Redis pass)."""
    server = RedisServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_live_updates_recover_after_redis_restarts(
    settings: Settings, database: Database, private_redis: RedisServer, data_dir: Path
) -> None:
    async with serve(settings, private_redis.url, data_dir) as base:
        manager_token, manager_id = await _login(base, "manager1")
        sales_token, _ = await _login(base, "sales1")
        async with live_client(token=manager_token, url=_ws(base)) as live:
            await live.subscribe(NOTIFICATIONS)
            await asyncio.sleep(0.3)

            await private_redis.stop()
            # The subscriber is told (it does not wait forever) ...
            message = await live.receive(within=15)
            errors = (
                message["payload"] if message["type"] == "error" else message["payload"]["errors"]
            )
            assert errors[0]["extensions"]["code"] == "LIVE_UPDATES_INTERRUPTED"
            # ... and what happens meanwhile is kept in the database.
            result = await _post(base, WORK_LOG, sales_token, leader=manager_id)
            assert result["submitWorkLog"]["__typename"] == "WorkLogSuccess"

            await private_redis.start()
            assert await _resubscribe_until_delivered(live, base, sales_token, manager_id)
        missed = await _post(base, "{ notifications(first: 10) { totalCount } }", manager_token)
        assert missed["notifications"]["totalCount"] >= 2, (
            "notifications made during the outage are kept"
        )
