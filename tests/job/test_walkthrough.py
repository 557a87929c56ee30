"""The Excel walk-through of a new user: ``admin`` fills the enterprise template with 1,000
customers (two rows wrong), gets both errors back in the marked workbook, fixes them there,
imports it and watches the progress live; ``sales1`` exports their customers and opens the
file."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from starlette.applications import Starlette

from gql_crm.db.models import Customer
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import count
from tests.fixtures.live import settle
from tests.fixtures.live_server import listening
from tests.graphql_client import GraphQLClient
from tests.job.support import GET, download, export, imported, post_import
from tests.ws_client import live_client

PROGRESS = "subscription { jobProgress { jobId state rowsDone rowsTotal } }"
CREATE = """mutation { createCustomer(input: {name: "Mine Ltd", maturityId: %d, city: "Hangzhou"},
  contacts: [{name: "Bob", mobile: "13912345678"}]) { __typename } }"""
CUSTOMERS = 1000


def _saved(book: Any) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_thousand_customers_from_the_template_then_an_export_of_my_customers(
    app: Starlette,
    admin: GraphQLClient,
    sales1: GraphQLClient,
    services: Services,
    grades: dict[str, int],
) -> None:
    before = await count(services, Customer)
    book = load_workbook(io.BytesIO(await download(admin, "/templates/enterprise_customers.xlsx")))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    column = {label: header.index(label) for label in header}
    for i in range(CUSTOMERS):
        row: list[Any] = [None] * len(header)
        row[column["Name *"]] = f"Walkthrough {i:04d}"
        row[column["City"]] = "Hangzhou"
        row[column["Contact name"]] = f"Person {i}"
        row[column["Contact mobile"]] = f"139{i:08d}"
        sheet.append(row)
    first_data_row = sheet.max_row - CUSTOMERS + 1  # under the header and the notes row
    wrong_mobile, wrong_grade = first_data_row + 99, first_data_row + 700
    sheet.cell(wrong_mobile, column["Contact mobile"] + 1, "not a phone")
    sheet.cell(wrong_grade, column["Maturity"] + 1, "Z")

    refused = await imported(admin, services, "ENTERPRISE_CUSTOMERS", _saved(book))
    assert refused["state"] == "FAILED", refused
    assert {(p["row"], p["column"]) for p in refused["problems"]} == {
        (wrong_mobile, "Contact mobile"),
        (wrong_grade, "Maturity"),
    }
    assert await count(services, Customer) == before

    # Both errors come back in a copy of the workbook: the cells marked, a reason beside.
    marked = load_workbook(io.BytesIO(await download(admin, refused["resultUrl"])))
    copy = marked.worksheets[0]
    reason = [cell.value for cell in copy[1]].index("Reason") + 1
    assert str(copy.cell(2, 1).value).startswith("Note:"), "every row where it was"
    for row_number, label in ((wrong_mobile, "Contact mobile"), (wrong_grade, "Maturity")):
        bad = copy.cell(row_number, column[label] + 1)
        assert bad.fill.fgColor.rgb.endswith("FFC7CE"), (row_number, label)
        assert copy.cell(row_number, reason).value
    copy.cell(wrong_mobile, column["Contact mobile"] + 1, "13800000000")
    copy.cell(wrong_grade, column["Maturity"] + 1).value = None  # ungraded: the public pool

    # The fixed copy imports whole, its progress seen live.
    async with listening(app) as base:
        url = base.replace("http://", "ws://") + "/graphql"
        async with live_client(token=admin.token, url=url) as live:
            await live.subscribe(PROGRESS)
            await settle()
            started = await post_import(admin, "ENTERPRISE_CUSTOMERS", _saved(marked), False)
            seen: list[dict[str, Any]] = []
            while not seen or seen[-1]["state"] not in ("SUCCEEDED", "FAILED"):
                seen.append((await live.next_data(within=30))["jobProgress"])
    assert all(s["jobId"] == started["job"]["id"] for s in seen)
    job = (await admin.data(GET, id=started["job"]["id"]))["job"]
    assert seen[-1]["state"] == "SUCCEEDED", (job["message"], job["problems"][:3])
    assert seen[-1]["rowsDone"] == seen[-1]["rowsTotal"] == CUSTOMERS
    assert await count(services, Customer) == before + CUSTOMERS

    # sales1's own customers, and no one else's, in a workbook a spreadsheet opens.
    await sales1.data(CREATE % grades["A"])
    job = await export(sales1, services, "CUSTOMERS", view="MINE")
    assert job["state"] == "SUCCEEDED", job
    opened = load_workbook(io.BytesIO(await download(sales1, job["resultUrl"])))
    rows = list(opened.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "Name" and [row[0] for row in rows[1:]] == ["Mine Ltd"]
    assert opened.worksheets[0].freeze_panes == "A2"
