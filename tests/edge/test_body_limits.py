"""Request bodies over their cap are refused with 413 before they are parsed, whether they
declare their length or stream in chunks; an upload is read only for a signed-in caller."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from gql_crm.db.models import Attachment
from gql_crm.services.unit_of_work import Services
from gql_crm.settings import Settings
from tests.attachment.support import PDF, UPLOAD
from tests.fixtures.factories import count, make_customer
from tests.graphql_client import GraphQLClient

CHUNK = 16 * 1024
BOUNDARY = "edge-test-boundary"


class Body:
    """A request body sent in chunks without a Content-Length; counts what was pulled."""

    def __init__(self, head: bytes, filler: int, tail: bytes = b"") -> None:
        self.head, self.filler, self.tail = head, filler, tail
        self.sent = 0

    @property
    def size(self) -> int:
        return len(self.head) + self.filler + len(self.tail)

    async def chunks(self) -> AsyncIterator[bytes]:
        for part in (self.head, *([b"0" * CHUNK] * (self.filler // CHUNK)), self.tail):
            self.sent += len(part)
            yield part


def _multipart(record_id: int, content: bytes) -> tuple[bytes, bytes]:
    """The start (operations, map, file part headers and content) and the end of an upload."""
    operations = {
        "query": UPLOAD,
        "variables": {"recordType": "CUSTOMER", "recordId": record_id, "file": None},
    }
    fields = [
        ("operations", json.dumps(operations)),
        ("map", json.dumps({"0": ["variables.file"]})),
    ]
    head = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields
    )
    head += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + content
    return head, f"\r\n--{BOUNDARY}--\r\n".encode()


def _upload_headers(token: str | None) -> dict[str, str]:
    headers = {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Apollo-Require-Preflight": "true",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


@pytest.fixture
def small_bodies(settings: Settings, tmp_path: Path) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "max_body_bytes", 64 * 1024)
        patch.setattr(settings, "max_attachment_bytes", 32 * 1024)
        patch.setattr(settings, "max_document_bytes", 32 * 1024)
        patch.setattr(settings, "max_import_bytes", 32 * 1024)
        patch.setattr(settings, "attachments_dir", tmp_path / "attachments")
        yield


@pytest.mark.usefixtures("small_bodies")
async def test_a_json_body_over_the_limit_is_refused_by_its_length(
    http: httpx.AsyncClient, sales1: GraphQLClient
) -> None:
    padding = "x" * (64 * 1024)
    response = await http.post(
        "/graphql",
        json={"query": "{ me { id } }", "variables": {"padding": padding}},
        headers={"Authorization": f"Bearer {sales1.token}"},
    )
    assert response.status_code == 413
    assert _code(response) == "PAYLOAD_TOO_LARGE"
    assert "64 KiB" in response.json()["errors"][0]["message"]
    assert response.headers["content-type"] == "application/json"
    # A client of the GraphQL-over-HTTP media type gets its refusals in it too.
    response = await http.post(
        "/graphql",
        json={"query": "{ me { id } }", "variables": {"padding": padding}},
        headers={
            "Authorization": f"Bearer {sales1.token}",
            "Accept": "application/graphql-response+json",
        },
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/graphql-response+json"
    assert _code(response) == "PAYLOAD_TOO_LARGE"
    # Within the limit, the same request runs.
    assert (await sales1.data("{ me { loginName } }"))["me"] == {"loginName": "sales1"}


@pytest.mark.usefixtures("small_bodies")
async def test_a_chunked_json_body_is_refused_at_the_limit_not_after_it(
    http: httpx.AsyncClient,
) -> None:
    body = Body(b'{"query": "{ __typename }", "padding": "', 1024 * 1024, b'"}')

    response = await http.post(
        "/graphql",
        content=body.chunks(),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert _code(response) == "PAYLOAD_TOO_LARGE"
    assert body.sent <= 64 * 1024 + CHUNK, "reading stopped at the cap"


@pytest.mark.usefixtures("small_bodies")
async def test_a_chunked_upload_over_the_cap_is_refused_while_it_streams(
    http: httpx.AsyncClient, sales1: GraphQLClient, services: Services, settings: Settings
) -> None:
    customer_id = await make_customer(services, "sales1")
    head, tail = _multipart(customer_id, PDF)
    body = Body(head, 1024 * 1024, tail)

    response = await http.post(
        "/graphql", content=body.chunks(), headers=_upload_headers(sales1.token)
    )

    assert response.status_code == 413
    assert "32 KiB" in response.json()["errors"][0]["message"]
    assert body.sent < 32 * 1024 + 64 * 1024 + CHUNK + len(head)
    assert await count(services, Attachment) == 0
    assert not settings.attachments_dir.exists() or not any(settings.attachments_dir.rglob("*.*"))


@pytest.mark.usefixtures("small_bodies")
async def test_an_upload_within_the_cap_streams_in_and_is_stored(
    http: httpx.AsyncClient, sales1: GraphQLClient, services: Services
) -> None:
    customer_id = await make_customer(services, "sales1")
    head, tail = _multipart(customer_id, PDF)
    body = Body(head, CHUNK, tail)

    response = await http.post(
        "/graphql", content=body.chunks(), headers=_upload_headers(sales1.token)
    )

    assert response.status_code == 200, response.text
    result = response.json()["data"]["uploadAttachment"]
    assert result["__typename"] == "AttachmentSuccess", result
    assert result["attachment"]["size"] == len(PDF) + CHUNK


@pytest.mark.usefixtures("small_bodies")
@pytest.mark.parametrize("token", [None, "not-a-token"])
async def test_an_unauthenticated_upload_is_refused_before_its_body_is_read(
    http: httpx.AsyncClient, services: Services, token: str | None
) -> None:
    customer_id = await make_customer(services, "sales1")
    head, tail = _multipart(customer_id, PDF)
    body = Body(head, 8 * CHUNK, tail)

    response = await http.post("/graphql", content=body.chunks(), headers=_upload_headers(token))

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert _code(response) == "UNAUTHENTICATED"
    assert body.sent <= len(head), "no more than the transport's first chunk was pulled"
    assert await count(services, Attachment) == 0
