"""Imports: checked whole against the mutations' rules, written whole or not at all; the
round trip through an export; templates that follow the form settings; bad files."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from gql_crm.db.models import Contact, Customer, Product
from gql_crm.db.models.job import Job, JobState
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import count
from tests.graphql_client import GraphQLClient
from tests.job.support import (
    GET,
    download,
    export,
    imported,
    post_import,
    rows_of,
    workbook,
)

HEADER = ["Name *", "City", "Maturity", "Contact name", "Contact mobile", "Contact email"]
FORM = """mutation { updateFormSettings(form: COMPANY, fields: [{field: "city", shown: true,
  required: true}, {field: "website", shown: false, required: false}]) { __typename } }"""


async def _customers(services: Services) -> dict[str, list[tuple[str, str | None, bool]]]:
    async with services.database.reader() as session:
        rows = await session.execute(
            select(Customer.name, Contact.name, Contact.mobile, Contact.is_primary)
            .outerjoin(Contact, Contact.customer_id == Customer.id)
            .order_by(Customer.name, Contact.id)
        )
        found: dict[str, list[tuple[str, str | None, bool]]] = {}
        for name, contact, mobile, primary in rows:
            found.setdefault(name, [])
            if contact is not None:
                found[name].append((contact, mobile, primary))
        return found


async def test_a_file_with_bad_rows_writes_nothing_and_names_every_bad_cell(
    admin: GraphQLClient, services: Services
) -> None:
    content = workbook(
        HEADER,
        ["Acme", "Hangzhou", "A", "Bob", "13912345678", None],
        ["Beta", "Ningbo", "Z", "Eve", "not a phone", None],  # two bad cells
        ["Gamma", None, "B", "Ann", None, "ann@example"],  # a bad e-mail
        ["Acme", "Suzhou", "A", "Tom", None, None],  # the same name, other details
    )
    job = await imported(admin, services, "ENTERPRISE_CUSTOMERS", content)
    assert job["state"] == "FAILED", job["message"]
    problems = {(p["row"], p["column"]) for p in job["problems"]}
    assert problems == {
        (3, "Maturity"),
        (3, "Contact mobile"),
        (4, "Contact email"),
        (5, "Name *"),
    }, job["message"]
    assert "Nothing was imported" in job["message"]
    assert await count(services, Customer) == 0
    # The marked copy: every row, the bad cells filled, a reason column.
    marked = load_workbook(io.BytesIO(await download(admin, job["resultUrl"])))
    sheet = marked.worksheets[0]
    assert [c.value for c in sheet[1]] == [*HEADER, "Reason"]
    assert sheet.cell(row=3, column=3).fill.fgColor.rgb.endswith("FFC7CE")
    assert "maturity" in sheet.cell(row=3, column=7).value
    assert sheet.cell(row=2, column=7).value is None


async def test_a_valid_file_lands_whole_and_a_dry_run_writes_nothing(
    admin: GraphQLClient, services: Services
) -> None:
    content = workbook(
        HEADER,
        ["Acme", "Hangzhou", "A", "Bob", "13912345678", None],
        ["Acme", "Hangzhou", "A", "Ann", None, "ann@example.com"],  # a further contact
        ["Beta", "Ningbo", None, None, None, None],  # no contact, public pool
    )
    dry = await imported(admin, services, "ENTERPRISE_CUSTOMERS", content, dry_run=True)
    assert dry["state"] == "SUCCEEDED" and dry["dryRun"], dry
    assert await count(services, Customer) == 0
    job = await imported(admin, services, "ENTERPRISE_CUSTOMERS", content)
    assert job["state"] == "SUCCEEDED", job
    assert job["rowsDone"] == 3
    assert await _customers(services) == {
        "Acme": [("Bob", "13912345678", True), ("Ann", None, False)],
        "Beta": [],
    }
    # The same file again: every name exists already, nothing is written twice.
    again = await imported(admin, services, "ENTERPRISE_CUSTOMERS", content)
    assert again["state"] == "FAILED"
    assert {p["reason"] for p in again["problems"]} == {"a customer with this name exists already"}
    assert await count(services, Customer) == 2


async def test_the_form_settings_apply_to_imports_and_templates(
    admin: GraphQLClient, services: Services
) -> None:
    await admin.data(FORM)
    template = await download(admin, "/templates/enterprise_customers.xlsx")
    rows = rows_of(template)
    assert "City *" in rows[0] and "Website" not in rows[0]
    assert str(rows[1][0]).startswith("Note:")
    book = load_workbook(io.BytesIO(template))
    assert book.sheetnames == ["Enterprise customers", "Lists"]
    validated = {str(v.sqref) for v in book.worksheets[0].data_validations.dataValidation}
    assert validated  # category, source, status, maturity, industry and gender drop-downs
    # The template, filled in, imports; the required city is checked.
    filled = workbook(rows[0], rows[1], ["Acme", *([None] * (len(rows[0]) - 1))])
    job = await imported(admin, services, "ENTERPRISE_CUSTOMERS", filled)
    assert job["state"] == "FAILED"
    assert job["problems"][0]["reason"] == "is required by the company form settings"
    listed = (await admin.data("{ importTemplates { kind downloadUrl } }"))["importTemplates"]
    assert [t["kind"] for t in listed] == [
        "enterprise_customers", "individual_customers", "contacts", "products"
    ]  # fmt: skip
    for template in listed:
        assert rows_of(await download(admin, template["downloadUrl"]))[0]
    missing = await admin.http.get(
        "/templates/nothing.xlsx", headers={"Authorization": f"Bearer {admin.token}"}
    )
    assert missing.status_code == 404
    assert (await admin.http.get("/templates/products.xlsx")).status_code == 401


async def test_export_then_import_into_an_empty_company_gives_the_same_customers(
    admin: GraphQLClient, services: Services
) -> None:
    content = workbook(
        [*HEADER, "Acquired on", "Kind"],
        ["Acme", "Hangzhou", "A", "Bob", "13912345678", None, "2026-01-05", "enterprise"],
        ["Acme", "Hangzhou", "A", "Ann", None, "ann@example.com", "2026-01-05", "enterprise"],
        ["Li Lei", "Ningbo", "C", "Li Lei", "13700001111", None, None, "individual"],
    )
    assert (await imported(admin, services, "ENTERPRISE_CUSTOMERS", content))["state"] == (
        "SUCCEEDED"
    )
    before = await _customers(services)
    exported = await download(admin, (await export(admin, services, "CUSTOMERS"))["resultUrl"])
    async with services.database.writer() as session, session.begin():
        for customer in await session.scalars(select(Customer)):
            await session.delete(customer)
    assert await count(services, Customer) == 0
    job = await imported(admin, services, "ENTERPRISE_CUSTOMERS", exported)
    assert job["state"] == "SUCCEEDED", job
    assert await _customers(services) == before
    async with services.database.reader() as session:
        kinds = dict((await session.execute(select(Customer.name, Customer.kind))).all())
    assert {k: str(v) for k, v in kinds.items()} == {"Acme": "enterprise", "Li Lei": "individual"}


async def test_imports_need_the_permission(sales1: GraphQLClient) -> None:
    body = await sales1.http.post(
        "/graphql",
        json={"query": "mutation { cancelJob(id: 1) { __typename } }"},
        headers={"Authorization": f"Bearer {sales1.token}"},
    )
    assert body.status_code == 200
    import json

    from tests.job.support import IMPORT

    response = await sales1.http.post(
        "/graphql",
        data={
            "operations": json.dumps(
                {
                    "query": IMPORT,
                    "variables": {
                        "kind": "PRODUCTS" if False else "ENTERPRISE_CUSTOMERS",
                        "file": None,
                        "dryRun": True,
                    },
                }
            ),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        files={"0": ("a.xlsx", workbook(HEADER), "application/octet-stream")},
        headers={"Apollo-Require-Preflight": "true", "Authorization": f"Bearer {sales1.token}"},
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _with_sheet_xml(content: bytes, change: bytes, into: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    entries = {}
    for name in source.namelist():
        data = source.read(name)
        if name == "xl/worksheets/sheet1.xml":
            data = data.replace(change, into)
        entries[name] = data
    return _zip(entries)


async def test_bad_files_get_clear_errors_and_write_nothing(
    admin: GraphQLClient, services: Services
) -> None:
    immediate = {
        b"just some text": "is not an Excel workbook (.xlsx)",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le"): (
            "is password-protected"
        ),
        _zip({"xl/workbook.xml": b"<workbook/>", "xl/vbaProject.bin": b"x"}): "contains macros",
        _zip({"xl/workbook.xml": b"<workbook/>", "big": b"\0" * (20 * 1024 * 1024)}): "ZIP bomb",
    }
    for content, reason in immediate.items():
        result = await post_import(admin, "ENTERPRISE_CUSTOMERS", content, dry_run=False)
        assert result["__typename"] == "InvalidInputError", result
        assert reason in result["message"], result

    good = workbook(HEADER, ["Acme", "Hangzhou", "A", "Bob", None, None])
    formula = workbook(HEADER, ["=1+1", "Hangzhou", "A", "Bob", None, None])
    merged = _with_sheet_xml(
        good,
        b"</sheetData>",
        b'</sheetData><mergeCells count="1"><mergeCell ref="A2:B2"/></mergeCells>',
    )
    book = load_workbook(io.BytesIO(good))
    book.create_sheet("Secret").sheet_state = "hidden"
    hidden = io.BytesIO()
    book.save(hidden)
    in_job = {formula: "holds a formula", merged: "merged cells", hidden.getvalue(): "hidden"}
    for content, reason in in_job.items():
        started = await post_import(admin, "ENTERPRISE_CUSTOMERS", content, dry_run=False)
        assert started["__typename"] == "JobSuccess", started
        await services.jobs.join(started["job"]["id"])
        async with services.database.reader() as session:
            job = await session.get(Job, started["job"]["id"])
        assert job is not None and job.state is JobState.FAILED
        assert reason in (job.message or ""), job.message
    assert await count(services, Customer) == 0


async def test_files_over_the_limits_are_refused_naming_the_limit(
    admin: GraphQLClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [["Name"], *([f"Customer {i}"] for i in range(5))]
    monkeypatch.setattr(services.settings, "max_import_rows", 4)
    started = await post_import(admin, "ENTERPRISE_CUSTOMERS", workbook(*rows), dry_run=False)
    await services.jobs.join(started["job"]["id"])
    job = (await admin.data(GET, id=started["job"]["id"]))["job"]
    assert job["state"] == "FAILED"
    assert "more than 4 data rows, the limit" in job["message"], job
    monkeypatch.setattr(services.settings, "max_import_bytes", 1024)
    refused = await post_import(admin, "ENTERPRISE_CUSTOMERS", workbook(*rows), dry_run=False)
    assert refused["__typename"] == "InvalidInputError"
    assert "larger than the limit of 1 KiB" in refused["message"], refused
    assert await count(services, Customer) == 0


async def test_products_import_whole_with_codes_checked(
    admin: GraphQLClient, services: Services
) -> None:
    header = ["Name *", "Code *", "Category", "Price *", "Cost", "Unit", "Active"]
    bad = workbook(
        header,
        ["CRM seat", "CRM-1", "Software", 99.5, 10, "seat", "yes"],
        ["CRM seat", "CRM-1", "Nothing", "12.345", None, "seat", "maybe"],
        [None, "CRM-3", None, -1, None, None, None],
    )
    job = await imported(admin, services, "PRODUCTS", bad)
    assert job["state"] == "FAILED"
    assert {(p["row"], p["column"]) for p in job["problems"]} == {
        (3, "Code *"),
        (3, "Category"),
        (3, "Price *"),
        (3, "Active"),
        (4, "Name *"),
        (4, "Price *"),
    }, job["problems"]
    good = workbook(
        header,
        ["CRM seat", "CRM-1", "Software", 99.5, 10, "seat", "yes"],
        ["Setup", "SVC-1", "Service", "1200", None, "hour", "no"],
    )
    assert (await imported(admin, services, "PRODUCTS", good))["state"] == "SUCCEEDED"
    async with services.database.reader() as session:
        rows = (await session.execute(select(Product.code, Product.price, Product.is_active))).all()
    assert sorted(rows) == [("CRM-1", Decimal("99.50"), True), ("SVC-1", Decimal("1200.00"), False)]
    again = await imported(admin, services, "PRODUCTS", good)
    assert {p["reason"] for p in again["problems"]} == {"another product has this code already"}
