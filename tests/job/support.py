"""Starting jobs, waiting for them and reading their workbooks, as a client would."""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import Workbook, load_workbook

from gql_crm.services.unit_of_work import Services
from tests.graphql_client import GraphQLClient

JOB = """id kind subject state dryRun rowsDone rowsTotal problemCount message resultUrl
  resultName problems(first: 1000) { row column value reason }"""
EXPORT = f"""mutation($kind: ExportKind!, $filter: CustomerFilterInput) {{
  result: startExport(kind: $kind, customerFilter: $filter) {{ __typename
  ... on JobSuccess {{ job {{ {JOB} }} }} ... on Error {{ code message field }} }} }}"""
IMPORT = f"""mutation($kind: ImportKind!, $file: Upload!, $dryRun: Boolean!) {{
  result: startImport(kind: $kind, file: $file, dryRun: $dryRun) {{ __typename
  ... on JobSuccess {{ job {{ {JOB} }} }}
  ... on InvalidInputError {{ code message problems {{ field message }} }}
  ... on Error {{ code message field }} }} }}"""
GET = f"query($id: Int!) {{ job(id: $id) {{ {JOB} }} }}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def finished(client: GraphQLClient, services: Services, job_id: int) -> dict[str, Any]:
    await services.jobs.join(job_id)
    job: dict[str, Any] = (await client.data(GET, id=job_id))["job"]
    return job


async def export(
    client: GraphQLClient, services: Services, kind: str, **filters: Any
) -> dict[str, Any]:
    started = (await client.data(EXPORT, kind=kind, filter=filters or None))["result"]
    assert started["__typename"] == "JobSuccess", started
    return await finished(client, services, started["job"]["id"])


async def import_response(
    client: GraphQLClient, kind: str, content: bytes, dry_run: bool, name: str = "book.xlsx"
) -> dict[str, Any]:
    """The whole response body of a ``startImport`` upload, errors and all."""
    operations = {"query": IMPORT, "variables": {"kind": kind, "file": None, "dryRun": dry_run}}
    response = await client.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name, content, XLSX)},
        headers={"Apollo-Require-Preflight": "true", "Authorization": f"Bearer {client.token}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def post_import(
    client: GraphQLClient, kind: str, content: bytes, dry_run: bool, name: str = "book.xlsx"
) -> dict[str, Any]:
    body = await import_response(client, kind, content, dry_run, name)
    assert not body.get("errors"), body
    result: dict[str, Any] = body["data"]["result"]
    return result


async def imported(
    client: GraphQLClient, services: Services, kind: str, content: bytes, dry_run: bool = False
) -> dict[str, Any]:
    started = await post_import(client, kind, content, dry_run)
    assert started["__typename"] == "JobSuccess", started
    return await finished(client, services, started["job"]["id"])


async def download(client: GraphQLClient, url: str) -> bytes:
    response = await client.http.get(url, headers={"Authorization": f"Bearer {client.token}"})
    assert response.status_code == 200, response.text
    return response.content


def rows_of(content: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def workbook(*rows: list[Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
