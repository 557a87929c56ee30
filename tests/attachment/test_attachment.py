from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gql_crm.db.models import Attachment, OperationLog
from gql_crm.services.unit_of_work import Services
from gql_crm.settings import Settings
from tests.attachment.support import (
    DELETE,
    PDF,
    PNG,
    PROGRAM,
    download,
    nothing_stored,
    post_upload,
    stored_files,
    upload,
)
from tests.fixtures.factories import count, make_customer
from tests.graphql_client import GraphQLClient

CREATE_ORDER = """
mutation($customerId: Int!) {
  createOrder(customerId: $customerId, input: {title: "Support contract", amount: "1200.00"}) {
    ... on OrderSuccess { order { id } }
  }
}
"""
ORDER = "query($id: Int!) { order(id: $id) { attachments { id fileName } } }"
CUSTOMER = "query($id: Int!) { customer(id: $id) { attachments { id fileName size } } }"


async def _order(client: GraphQLClient, customer_id: int) -> int:
    data = await client.data(CREATE_ORDER, customerId=customer_id)
    return int(data["createOrder"]["order"]["id"])


async def test_contract_text_round_trip_on_an_order(
    sales1: GraphQLClient, services: Services, attachments_dir: Path
) -> None:
    order_id = await _order(sales1, await make_customer(services, "sales1"))
    name = "Vertrag März; v2 (final).pdf"

    result = await upload(sales1, "ORDER", order_id, name, PDF, "application/pdf")

    assert result["__typename"] == "AttachmentSuccess", result
    attachment = result["attachment"]
    assert attachment["recordType"] == "ORDER"
    assert attachment["recordId"] == order_id
    assert attachment["fileName"] == name
    assert attachment["contentType"] == "application/pdf"
    assert attachment["size"] == len(PDF)
    assert attachment["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert attachment["uploadedBy"] == {"loginName": "sales1"}
    assert attachment["downloadUrl"] == f"/attachments/{attachment['id']}"

    response = await download(sales1, attachment["downloadUrl"])
    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == (
        'attachment; filename="Vertrag M_rz_ v2 (final).pdf"; '
        "filename*=UTF-8''Vertrag%20M%C3%A4rz%3B%20v2%20%28final%29.pdf"
    )

    data = await sales1.data(ORDER, id=order_id)
    assert data["order"]["attachments"] == [{"id": attachment["id"], "fileName": name}]
    # Stored once, under a random key: nothing of the user's file name reaches the disk.
    files = stored_files(attachments_dir)
    assert len(files) == 1 and ".incoming" not in files[0].parts
    assert "Vertrag" not in str(files[0]) and files[0].read_bytes() == PDF
    logged = await count(
        services, OperationLog, OperationLog.entity_type == "order", OperationLog.action == "attach"
    )
    assert logged == 1


async def test_files_on_a_customer_newest_first_and_seen_by_the_manager(
    sales1: GraphQLClient, manager1: GraphQLClient, services: Services
) -> None:
    customer_id = await make_customer(services, "sales1")
    first = await upload(sales1, "CUSTOMER", customer_id, "logo.png", PNG, "image/png")
    notes = b"Met the buyer; wants a demo in May.\n"
    second = await upload(sales1, "CUSTOMER", customer_id, "notes.txt", notes, "text/plain")
    assert first["__typename"] == second["__typename"] == "AttachmentSuccess"

    data = await sales1.data(CUSTOMER, id=customer_id)
    assert [a["fileName"] for a in data["customer"]["attachments"]] == ["notes.txt", "logo.png"]

    # The manager of sales1's department sees the customer, so may download its files.
    response = await download(manager1, first["attachment"]["downloadUrl"])
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    text = await download(manager1, second["attachment"]["downloadUrl"])
    assert text.content == notes
    assert text.headers["content-type"].startswith("text/plain")


async def test_over_the_size_limit_nothing_is_stored(
    sales1: GraphQLClient, services: Services, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id = await make_customer(services, "sales1")
    monkeypatch.setattr(settings, "max_attachment_bytes", 1024)
    content = PDF + b"0" * (1025 - len(PDF))

    result = await upload(sales1, "CUSTOMER", customer_id, "big.pdf", content, "application/pdf")

    assert result["__typename"] == "InvalidInputError"
    assert result["field"] == "file"
    assert "1 KiB" in result["message"]
    await nothing_stored(services)

    # Exactly at the limit is fine.
    ok = await upload(sales1, "CUSTOMER", customer_id, "ok.pdf", content[:1024], "application/pdf")
    assert ok["__typename"] == "AttachmentSuccess"


async def test_a_body_far_beyond_the_limit_is_refused_before_it_is_read(
    sales1: GraphQLClient, services: Services, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id = await make_customer(services, "sales1")
    monkeypatch.setattr(settings, "max_attachment_bytes", 1024)
    monkeypatch.setattr(settings, "max_import_bytes", 1024)  # the other upload's cap
    monkeypatch.setattr(settings, "max_document_bytes", 1024)  # the body cap is the larger
    content = PDF + b"0" * 200_000

    response = await post_upload(
        sales1, "CUSTOMER", customer_id, "huge.pdf", content, "application/pdf"
    )

    assert response.status_code == 413
    await nothing_stored(services)


@pytest.mark.parametrize(
    ("file_name", "content", "content_type", "says"),
    [
        ("setup.exe", PROGRAM, "application/x-msdownload", "not accepted"),
        ("page.html", b"<html></html>", "text/html", "not accepted"),
        ("contract.pdf", b"This is plain text, not a PDF.\n", "application/pdf", "is not a"),
        ("contract.pdf", PROGRAM, "application/pdf", "is not a"),
        ("invoice.docx", PROGRAM, "application/msword", "is not a"),
        ("readme.txt", PROGRAM, "text/plain", "binary data"),
        ("photo.jpg", PNG, "image/jpeg", "is not a"),
        ("empty.txt", b"", "text/plain", "is empty"),
    ],
)
async def test_types_off_the_list_or_contradicted_by_the_content_are_refused(
    sales1: GraphQLClient,
    services: Services,
    file_name: str,
    content: bytes,
    content_type: str,
    says: str,
) -> None:
    customer_id = await make_customer(services, "sales1")

    result = await upload(sales1, "CUSTOMER", customer_id, file_name, content, content_type)

    assert result["__typename"] == "InvalidInputError", result
    assert result["field"] == "file"
    assert says in result["message"]
    await nothing_stored(services)


async def test_someone_who_cannot_see_the_record_learns_nothing(
    sales1: GraphQLClient, gql: GraphQLClient, services: Services
) -> None:
    customer_id = await make_customer(services, "sales1")
    order_id = await _order(sales1, customer_id)
    on_customer = await upload(sales1, "CUSTOMER", customer_id, "a.pdf", PDF, "application/pdf")
    on_order = await upload(sales1, "ORDER", order_id, "c.pdf", PDF, "application/pdf")
    files = stored_files(services.settings.attachments_dir)

    for outsider in ("sales2", "sales3"):  # same department (own scope), other department
        client = await gql.as_user(outsider)
        for record_type, record_id in (("CUSTOMER", customer_id), ("ORDER", order_id)):
            refused = await upload(client, record_type, record_id, "x.pdf", PDF, "application/pdf")
            assert refused["__typename"] == "NotFoundError", refused
            assert refused["field"] == "recordId"
        for uploaded in (on_customer, on_order):
            url = uploaded["attachment"]["downloadUrl"]
            assert (await download(client, url)).status_code == 404
            deleted = await client.data(DELETE, id=uploaded["attachment"]["id"])
            assert deleted["deleteAttachment"]["code"] == "NOT_FOUND"
        data = await client.data(CUSTOMER, id=customer_id)
        assert data["customer"] is None

    assert await count(services, Attachment) == 2
    assert stored_files(services.settings.attachments_dir) == files
    assert (await download(sales1, "/attachments/999999")).status_code == 404


async def test_download_needs_a_valid_token(
    sales1: GraphQLClient, gql: GraphQLClient, services: Services
) -> None:
    customer_id = await make_customer(services, "sales1")
    uploaded = await upload(sales1, "CUSTOMER", customer_id, "a.pdf", PDF, "application/pdf")
    url = uploaded["attachment"]["downloadUrl"]

    anonymous = await download(gql, url)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    forged = await gql.http.get(url, headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 401
    # Anonymous uploads store nothing either.
    response = await post_upload(gql, "CUSTOMER", customer_id, "b.pdf", PDF, "application/pdf")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await count(services, Attachment) == 1


async def test_multipart_requests_must_ask_for_a_preflight(
    sales1: GraphQLClient, services: Services
) -> None:
    customer_id = await make_customer(services, "sales1")

    response = await post_upload(
        sales1, "CUSTOMER", customer_id, "a.pdf", PDF, "application/pdf", headers={}
    )

    assert response.status_code == 400
    assert "Apollo-Require-Preflight" in response.text
    await nothing_stored(services)


async def test_a_deleted_attachment_is_hidden_everywhere(
    sales1: GraphQLClient, services: Services
) -> None:
    customer_id = await make_customer(services, "sales1")
    order_id = await _order(sales1, customer_id)
    kept = await upload(sales1, "ORDER", order_id, "v1.pdf", PDF, "application/pdf")
    gone = await upload(sales1, "ORDER", order_id, "v2.pdf", PDF, "application/pdf")
    gone_id = gone["attachment"]["id"]

    result = await sales1.data(DELETE, id=gone_id)

    assert result["deleteAttachment"]["__typename"] == "DeleteSuccess"
    assert (await download(sales1, gone["attachment"]["downloadUrl"])).status_code == 404
    data = await sales1.data(ORDER, id=order_id)
    assert [a["id"] for a in data["order"]["attachments"]] == [kept["attachment"]["id"]]
    again = await sales1.data(DELETE, id=gone_id)
    assert again["deleteAttachment"]["code"] == "NOT_FOUND"
    async with services.database.reader() as session:
        row = await session.scalar(select(Attachment).where(Attachment.id == gone_id))
    assert row is not None and row.deleted_at is not None  # soft: the row and file remain


async def test_a_string_instead_of_a_file_is_refused(
    sales1: GraphQLClient, services: Services
) -> None:
    customer_id = await make_customer(services, "sales1")
    from tests.attachment.support import UPLOAD

    data: dict[str, Any] = await sales1.data(
        UPLOAD, recordType="CUSTOMER", recordId=customer_id, file="JVBERi0="
    )

    assert data["uploadAttachment"]["__typename"] == "InvalidInputError"
    await nothing_stored(services)
