"""Progress over a real WebSocket, reading a job after a reconnect, and cancelling."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette

from gql_crm.db.models import Customer
from gql_crm.db.models.job import Job, JobState
from gql_crm.services import job as job_service
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import count
from tests.fixtures.live import settle
from tests.fixtures.live_server import listening
from tests.graphql_client import GraphQLClient
from tests.job.support import GET, finished, post_import, workbook
from tests.ws_client import live_client

PROGRESS = "subscription { jobProgress { jobId state rowsDone rowsTotal problemCount } }"
CANCEL = """mutation($id: Int!) { cancelJob(id: $id) { __typename
  ... on JobSuccess { job { state } } ... on Error { code message } } }"""
HEADER = ["Name", "City", "Contact name", "Contact mobile"]


def _customers(rows: int) -> bytes:
    return workbook(
        HEADER, *([f"Customer {i}", "Hangzhou", f"Person {i}", None] for i in range(rows))
    )


def _ws(base: str) -> str:
    return base.replace("http://", "ws://") + "/graphql"


async def test_progress_arrives_over_a_real_websocket_and_reads_back_after_a_reconnect(
    app: Starlette, admin: GraphQLClient, services: Services
) -> None:
    content = _customers(4500)
    async with listening(app) as base:
        async with live_client(token=admin.token, url=_ws(base)) as live:
            await live.subscribe(PROGRESS)
            await settle()
            started = await post_import(admin, "ENTERPRISE_CUSTOMERS", content, dry_run=False)
            job_id = started["job"]["id"]
            seen: list[dict[str, Any]] = []
            while not seen or seen[-1]["state"] not in ("SUCCEEDED", "FAILED"):
                seen.append((await live.next_data(within=30))["jobProgress"])
        states = [s["state"] for s in seen]
        assert states[0] == "QUEUED" and states[-1] == "SUCCEEDED", seen
        done = [s["rowsDone"] for s in seen]
        assert done == sorted(done) and {2000, 4000, 4500} <= set(done), seen
        assert all(s["jobId"] == job_id for s in seen)
        assert all(s["rowsTotal"] == 4500 for s in seen if s["rowsDone"]), seen
        # A client that reconnects reads where the job stands.
        async with live_client(token=admin.token, url=_ws(base)):
            job = (await admin.data(GET, id=job_id))["job"]
    assert job["state"] == "SUCCEEDED" and job["rowsDone"] == 4500
    assert await count(services, Customer) == 4500


async def test_a_job_cancelled_before_it_runs_never_runs(
    admin: GraphQLClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    held: list[int] = []

    async def hold(_services: Services, job_id: int) -> None:
        held.append(job_id)

    monkeypatch.setattr(services.jobs, "submit", hold)
    started = await post_import(admin, "ENTERPRISE_CUSTOMERS", _customers(3), dry_run=False)
    assert held == [started["job"]["id"]]
    cancelled = (await admin.data(CANCEL, id=held[0]))["cancelJob"]
    assert cancelled["job"]["state"] == "CANCELLED"
    await job_service.run(services, held[0])  # a worker picks it up late: it does nothing
    assert await count(services, Customer) == 0
    again = (await admin.data(CANCEL, id=held[0]))["cancelJob"]
    assert again["code"] == "CONFLICT"


async def test_cancel_while_running_writes_nothing(
    app: Starlette, admin: GraphQLClient, services: Services
) -> None:
    async with listening(app) as base, live_client(token=admin.token, url=_ws(base)) as live:
        await live.subscribe(PROGRESS)
        await settle()
        started = await post_import(admin, "ENTERPRISE_CUSTOMERS", _customers(8000), False)
        job_id = started["job"]["id"]
        while True:  # cancel once it has read its first rows
            progress = (await live.next_data(within=30))["jobProgress"]
            if progress["rowsDone"] >= 2000:
                break
        cancelled = (await admin.data(CANCEL, id=job_id))["cancelJob"]
        assert cancelled["job"]["state"] == "CANCELLED", cancelled
        await services.jobs.join(job_id)
    async with services.database.reader() as session:
        job = await session.get(Job, job_id)
    assert job is not None and job.state is JobState.CANCELLED
    assert await count(services, Customer) == 0


async def test_only_the_owner_and_administrators_see_a_job(
    sales1: GraphQLClient, sales2: GraphQLClient, admin: GraphQLClient, services: Services
) -> None:
    started = (
        await sales1.data(
            "mutation { startExport(kind: CUSTOMERS) { ... on JobSuccess { job { id } } } }"
        )
    )["startExport"]
    job = await finished(sales1, services, started["job"]["id"])
    assert job["state"] == "SUCCEEDED"
    assert (await sales2.data(GET, id=job["id"]))["job"] is None
    assert (await admin.data(GET, id=job["id"]))["job"]["id"] == job["id"]
    mine = await sales1.data("{ jobs(first: 10) { totalCount } }")
    theirs = await sales2.data("{ jobs(first: 10) { totalCount } }")
    assert (mine["jobs"]["totalCount"], theirs["jobs"]["totalCount"]) == (1, 0)
    refused = (await sales2.data(CANCEL, id=job["id"]))["cancelJob"]
    assert refused["code"] == "NOT_FOUND"
