"""Exports: a job per sheet, within the caller's scope and masks, downloadable by its owner."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from openpyxl import load_workbook

from gql_crm.services.unit_of_work import Services
from tests.graphql_client import GraphQLClient
from tests.job.support import EXPORT, download, export, rows_of

CREATE = """mutation($name: String!, $maturityId: Int, $mobile: String) {
  createCustomer(input: {name: $name, maturityId: $maturityId, city: "Hangzhou"},
  contacts: [{name: "Bob", mobile: $mobile}, {name: "Ann", email: "ann@example.com"}]) {
  ... on CustomerSuccess { customer { id } } } }"""
LOG = """{ operationLog(first: 20) { edges { node { entityType action actorId changes } } } }"""


async def make(client: GraphQLClient, name: str, grade: int | None, mobile: str) -> int:
    made = await client.data(CREATE, name=name, maturityId=grade, mobile=mobile)
    return int(made["createCustomer"]["customer"]["id"])


async def test_sales1_exports_only_what_they_see_masked_and_others_cannot_download(
    sales1: GraphQLClient,
    sales3: GraphQLClient,
    admin: GraphQLClient,
    services: Services,
    grades: dict[str, int],
) -> None:
    await make(sales1, "Mine Ltd", grades["A"], "13912345678")
    await make(sales3, "Theirs Ltd", grades["A"], "13787654321")
    await make(sales3, "Public Ltd", None, "13611112222")

    job = await export(sales1, services, "CUSTOMERS", view="MINE")
    assert job["state"] == "SUCCEEDED", job
    assert job["rowsDone"] == job["rowsTotal"] == 2  # one row per contact
    rows = rows_of(await download(sales1, job["resultUrl"]))
    header, *data = rows
    assert header[:3] == ["Name", "Kind", "Short name"]
    assert {r[0] for r in data} == {"Mine Ltd"}
    assert data[0][header.index("Contact mobile")] == "13912345678"  # their own: unmasked

    everything = await export(sales1, services, "CUSTOMERS")
    names = {r[0] for r in rows_of(await download(sales1, everything["resultUrl"]))[1:]}
    assert names == {"Mine Ltd", "Public Ltd"}  # not sales3's private customer
    public = [
        r for r in rows_of(await download(sales1, everything["resultUrl"]))[1:]
        if r[0] == "Public Ltd"
    ]  # fmt: skip
    mobile = public[0][header.index("Contact mobile")]
    assert mobile != "13611112222" and "*" in mobile  # masked as on screen

    # Only the owner (and administrators) see the job and its file.
    other = await sales3.http.get(
        job["resultUrl"], headers={"Authorization": f"Bearer {sales3.token}"}
    )
    assert other.status_code == 404
    assert (await sales3.data("query($id: Int!) { job(id: $id) { id } }", id=job["id"]))[
        "job"
    ] is None
    assert await download(admin, job["resultUrl"])
    anonymous = await sales1.http.get(job["resultUrl"])
    assert anonymous.status_code == 401

    # The operation log says who exported what.
    entries: list[dict[str, Any]] = [
        e["node"] for e in (await admin.data(LOG))["operationLog"]["edges"]
    ]
    exported = [e for e in entries if e["entityType"] == "job" and e["action"] == "export"]
    assert exported and exported[0]["actorId"] == sales1.user_id


async def test_exports_need_their_permission(sales1: GraphQLClient, services: Services) -> None:
    body = await sales1.execute(EXPORT, kind="ORDERS", filter=None)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body


async def test_every_kind_exports_for_an_administrator(
    admin: GraphQLClient, services: Services, grades: dict[str, int]
) -> None:
    await make(admin, "Acme", grades["A"], "13912345678")
    for kind in ("CUSTOMERS", "CONTACTS", "ORDERS", "PAYMENTS", "REFUNDS"):
        job = await export(admin, services, kind)
        assert job["state"] == "SUCCEEDED", job
        header, *data = rows_of(await download(admin, job["resultUrl"]))
        assert header[0] and all(header), header
        # A row per contact (two); nothing was ordered: those sheets are their header alone.
        assert len(data) == (0 if kind in ("ORDERS", "PAYMENTS", "REFUNDS") else 2), kind


async def test_days_are_shown_as_days_and_moments_with_their_time(
    admin: GraphQLClient, services: Services
) -> None:
    await admin.data(
        'mutation { createCustomer(input: {name: "Dated", acquiredOn: "2026-05-06"}) '
        "{ __typename } }"
    )
    job = await export(admin, services, "CUSTOMERS")
    sheet = load_workbook(io.BytesIO(await download(admin, job["resultUrl"]))).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    acquired = sheet.cell(2, header.index("Acquired on") + 1)
    created = sheet.cell(2, header.index("Created at (UTC)") + 1)
    assert acquired.value == datetime(2026, 5, 6) and acquired.number_format == "yyyy-mm-dd"
    assert isinstance(created.value, datetime)
    assert created.number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet.freeze_panes == "A2"  # the header stays in view
