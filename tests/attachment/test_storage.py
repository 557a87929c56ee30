"""The storage rules, through the service: nothing half-stored, names never become paths."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from starlette.datastructures import Headers, UploadFile

from gql_crm.db.models import Attachment, AttachmentRecordType
from gql_crm.resolvers.attachment import content_disposition
from gql_crm.services.attachment import storage_path, upload_attachment
from gql_crm.services.files import clean_file_name
from gql_crm.services.unit_of_work import Services, UnitOfWork
from tests.attachment.support import PDF, nothing_stored, stored_files
from tests.fixtures.factories import count, make_customer
from tests.fixtures.users import principal


class Boom(Exception):
    pass


def _upload(name: str, content: bytes, content_type: str) -> UploadFile:
    return UploadFile(
        io.BytesIO(content), filename=name, headers=Headers({"content-type": content_type})
    )


async def test_a_unit_of_work_that_fails_after_the_file_was_placed_leaves_nothing(
    services: Services, attachments_dir: Path
) -> None:
    customer_id = await make_customer(services, "sales1")
    sales1 = await principal(services, "sales1")

    with pytest.raises(Boom):
        async with UnitOfWork(services, sales1) as uow:
            await upload_attachment(
                uow,
                AttachmentRecordType.CUSTOMER,
                customer_id,
                _upload("a.pdf", PDF, "application/pdf"),
            )
            assert len(stored_files(attachments_dir)) == 1  # in place, not yet committed
            raise Boom

    await nothing_stored(services)


async def test_a_committed_upload_has_its_file_under_its_key(
    services: Services, attachments_dir: Path
) -> None:
    customer_id = await make_customer(services, "sales1")
    async with UnitOfWork(services, await principal(services, "sales1")) as uow:
        attachment = await upload_attachment(
            uow,
            AttachmentRecordType.CUSTOMER,
            customer_id,
            _upload("../../etc/passwd.pdf", PDF, "application/pdf; charset=binary"),
        )

    assert attachment.file_name == "passwd.pdf"
    assert attachment.content_type == "application/pdf"
    assert stored_files(attachments_dir) == [
        storage_path(services.settings, attachment.storage_key)
    ]
    assert await count(services, Attachment) == 1


def test_file_names_lose_directories_and_control_characters() -> None:
    assert clean_file_name("C:\\Users\\me\\offer.docx") == "offer.docx"
    assert clean_file_name("a\r\nb\x00.txt") == "ab.txt"
    assert clean_file_name("  ") == clean_file_name(None) == "file"
    long = clean_file_name("x" * 300 + ".pdf")
    assert len(long) == 255 and long.endswith(".pdf")


def test_storage_keys_are_checked_before_they_become_paths() -> None:
    from gql_crm.settings import Settings

    with pytest.raises(ValueError):
        storage_path(Settings(), "../../secret_key")


def test_the_download_name_cannot_break_out_of_its_header() -> None:
    header = content_disposition('evil"; filename="x.exe\r\nSet-Cookie: a=b')
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="evil__ filename=_x.exe')
    assert header.endswith(
        "filename*=UTF-8''evil%22%3B%20filename%3D%22x.exe%0D%0ASet-Cookie%3A%20a%3Db"
    )
