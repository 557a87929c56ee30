"""Uploading and downloading through the HTTP API, as a client following the GraphQL
multipart request spec does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from gql_crm.db.models import Attachment
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import count
from tests.graphql_client import GraphQLClient

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64

UPLOAD = """
mutation($recordType: AttachmentRecordType!, $recordId: Int!, $file: Upload!) {
  uploadAttachment(recordType: $recordType, recordId: $recordId, file: $file) {
    __typename
    ... on AttachmentSuccess { attachment {
      id recordType recordId fileName contentType size sha256 downloadUrl createdAt
      uploadedBy { loginName }
    } }
    ... on Error { code field message }
  }
}
"""
DELETE = """
mutation($id: Int!) {
  deleteAttachment(id: $id) { __typename ... on Error { code field message } }
}
"""
PREFLIGHT = {"Apollo-Require-Preflight": "true"}


async def post_upload(
    client: GraphQLClient,
    record_type: str,
    record_id: int,
    *file: *tuple[str, bytes, str],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST the upload of ``file`` (name, content, content type) onto the record."""
    operations = {
        "query": UPLOAD,
        "variables": {"recordType": record_type, "recordId": record_id, "file": None},
    }
    sent = dict(PREFLIGHT if headers is None else headers)
    if client.token:
        sent["Authorization"] = f"Bearer {client.token}"
    # The spec's order: operations, then map, then the file parts the map names.
    return await client.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": file},
        headers=sent,
    )


async def upload(
    client: GraphQLClient, record_type: str, record_id: int, *file: *tuple[str, bytes, str]
) -> dict[str, Any]:
    """The upload's result; the request itself must succeed."""
    response = await post_upload(client, record_type, record_id, *file)
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    result: dict[str, Any] = body["data"]["uploadAttachment"]
    return result


async def download(client: GraphQLClient, url: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {client.token}"} if client.token else {}
    return await client.http.get(url, headers=headers)


def stored_files(root: Path) -> list[Path]:
    """Every file under the attachments directory, staging area included."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def nothing_stored(services: Services) -> None:
    assert await count(services, Attachment) == 0
    assert stored_files(services.settings.attachments_dir) == []
