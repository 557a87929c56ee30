"""Attachments on either store: the local file system and a real S3-compatible server.

Uploads, downloads, refusals and purges behave the same; a purge removes the bytes too."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.datastructures import Headers, UploadFile

from gql_crm.db.models import Attachment, AttachmentRecordType
from gql_crm.services import customer as customers
from gql_crm.services.attachment import upload_attachment
from gql_crm.services.unit_of_work import Services, UnitOfWork
from gql_crm.settings import Settings
from tests.attachment.support import PDF, PNG, download, stored_files, upload
from tests.fixtures.factories import count, make_customer
from tests.fixtures.s3 import Bucket
from tests.fixtures.users import principal
from tests.graphql_client import GraphQLClient

Listing = Callable[[], list[str]]


@pytest.fixture(params=["local", "s3"])
def stored(request: pytest.FixtureRequest, attachments_dir: Path) -> Listing:
    """The names of every file the configured store holds (staging area included)."""
    if request.param == "s3":
        bucket: Bucket = request.getfixturevalue("s3_bucket")
        return bucket.names
    return lambda: [str(p) for p in stored_files(attachments_dir)]


class Boom(Exception):
    pass


async def test_upload_download_and_purge_remove_the_bytes(
    stored: Listing,
    sales1: GraphQLClient,
    sales2: GraphQLClient,
    manager1: GraphQLClient,
    services: Services,
) -> None:
    customer_id = await make_customer(services, "sales1")
    pdf = await upload(sales1, "CUSTOMER", customer_id, "offer.pdf", PDF, "application/pdf")
    png = await upload(sales1, "CUSTOMER", customer_id, "logo.png", PNG, "image/png")
    assert pdf["__typename"] == png["__typename"] == "AttachmentSuccess"
    assert len(stored()) == 2

    response = await download(manager1, png["attachment"]["downloadUrl"])
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-length"] == str(len(PNG))
    # Someone who may not see the customer gets a 404, as for a missing file.
    assert (await download(sales2, png["attachment"]["downloadUrl"])).status_code == 404

    manager = await principal(services, "manager1")
    async with UnitOfWork(services, manager) as uow:
        await customers.delete_customer(uow, customer_id)
    assert len(stored()) == 2  # in the recycle bin the files stay
    async with UnitOfWork(services, manager) as uow:
        await customers.purge_customer(uow, customer_id)

    assert await count(services, Attachment) == 0
    assert stored() == []


async def test_refused_and_rolled_back_uploads_leave_nothing(
    stored: Listing, sales1: GraphQLClient, services: Services, settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    customer_id = await make_customer(services, "sales1")
    monkeypatch.setattr(settings, "max_attachment_bytes", 1024)
    big = await upload(
        sales1, "CUSTOMER", customer_id, "a.pdf", PDF + b"0" * 1024, "application/pdf"
    )
    liar = await upload(sales1, "CUSTOMER", customer_id, "a.pdf", PNG, "application/pdf")
    assert big["__typename"] == liar["__typename"] == "InvalidInputError"

    upload_file = UploadFile(
        io.BytesIO(PDF), filename="a.pdf", headers=Headers({"content-type": "application/pdf"})
    )
    with pytest.raises(Boom):
        async with UnitOfWork(services, await principal(services, "sales1")) as uow:
            await upload_attachment(uow, AttachmentRecordType.CUSTOMER, customer_id, upload_file)
            assert len(stored()) == 1  # placed, not yet committed
            raise Boom

    assert await count(services, Attachment) == 0
    assert stored() == []
