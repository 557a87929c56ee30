"""Attachments (F5.2 contract text, and files on customers): checked, hashed and stored on
disk under a random key; the database row says who may see them.

An upload is streamed into a staging file while it is counted and hashed, refused when it is
too large or not what it claims to be, and moved to its final place while the row is written.
If the unit of work does not commit, the file is removed again: a row never lacks its file,
and a file without a row is only ever left by a crash mid-request.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import select

from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.models import Attachment, AttachmentRecordType
from gql_crm.private_files import create_private, private_dir
from gql_crm.services.customer import CUSTOMER_EDIT, managed_customer
from gql_crm.services.errors import Conflict, InvalidInput, NotFound
from gql_crm.services.order import ORDER_EDIT, managed_order
from gql_crm.services.unit_of_work import Services, UnitOfWork
from gql_crm.settings import Settings

logger = logging.getLogger("gql_crm.attachments")

CHUNK = 64 * 1024
HEAD = 8 * 1024  # what content sniffing looks at
_KEY = re.compile(r"[0-9a-f]{32}")

_ZIP = (b"PK\x03\x04",)  # Office Open XML documents are ZIP archives
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _ZIP,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _ZIP,
    "application/msword": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),  # OLE2 compound file
}
# Windows PE, ELF, Mach-O (both byte orders, 32/64 bit) and fat binaries.
_PROGRAMS = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)


class UploadedFile(Protocol):
    """What an upload offers (Starlette's ``UploadFile`` is one)."""

    filename: str | None

    @property
    def content_type(self) -> str | None: ...

    async def read(self, size: int = -1) -> bytes: ...


# ---- who may see and change ----------------------------------------------------------------


async def _check_may_change(
    uow: UnitOfWork, record_type: AttachmentRecordType, record_id: int, field: str
) -> None:
    """The record's own "may change" rule: invisible records are not found, visible ones the
    caller may not change a conflict. The record is locked for the rest of the unit of work."""
    if record_type is AttachmentRecordType.ORDER:
        uow.principal.require(ORDER_EDIT)
        await managed_order(uow, record_id, field)
        return
    uow.principal.require(CUSTOMER_EDIT)
    try:
        await managed_customer(uow, record_id)
    except NotFound:
        raise NotFound("Customer", record_id, field) from None
    except Conflict as error:
        raise Conflict(error.message, field) from None


# ---- checking what was sent ----------------------------------------------------------------


def declared_type(content_type: str | None) -> str:
    """The media type without parameters, lower case ("Text/Plain; charset=x" -> text/plain)."""
    return (content_type or "application/octet-stream").split(";")[0].strip().lower()


def content_problem(content_type: str, head: bytes) -> str | None:
    """Why the first bytes of a file contradict its declared type, if they do."""
    signatures = _SIGNATURES.get(content_type)
    if signatures is not None:
        if not head.startswith(signatures):
            return f"is not a {content_type} file: its content says otherwise"
        return None
    if content_type.startswith("text/"):
        if b"\x00" in head:
            return f"is not {content_type}: it contains binary data"
        return None
    if head.startswith(_PROGRAMS):
        return "is a program, which is never accepted"
    return None


def clean_file_name(name: str | None) -> str:
    """The name to show and offer on download: no directories, no control characters."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = "".join(ch for ch in base if not unicodedata.category(ch).startswith("C")).strip()
    if len(base) > 255:
        _, dot, extension = base.rpartition(".")
        keep = extension if dot and len(extension) <= 20 else ""
        base = base[: 255 - len(keep) - 1] + "." + keep if keep else base[:255]
    return base or "file"


def describe_size(size: int) -> str:
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def storage_path(settings: Settings, storage_key: str) -> Path:
    if not _KEY.fullmatch(storage_key):
        raise ValueError(f"not a storage key: {storage_key!r}")
    return settings.attachments_dir / storage_key[:2] / storage_key


@dataclass(frozen=True, slots=True)
class StagedFile:
    path: Path
    size: int
    sha256: str
    head: bytes


async def _stage(settings: Settings, upload: UploadedFile) -> StagedFile:
    """Copy the upload into a staging file, counting and hashing; refuse it past the limit."""
    incoming = settings.attachments_dir / ".incoming"
    await asyncio.to_thread(_private_dirs, settings.attachments_dir, incoming)
    path = incoming / secrets.token_hex(16)
    limit = settings.max_attachment_bytes
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with os.fdopen(create_private(path), "wb") as out:
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise InvalidInput.single(
                        "file", f"is larger than the limit of {describe_size(limit)}"
                    )
                if len(head) < HEAD:
                    head += chunk[: HEAD - len(head)]
                digest.update(chunk)
                await asyncio.to_thread(out.write, chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StagedFile(path, size, digest.hexdigest(), head)


def _private_dirs(*directories: Path) -> None:
    for directory in directories:
        private_dir(directory)


def _move_into_place(source: Path, target: Path) -> None:
    private_dir(target.parent)
    os.replace(source, target)  # same file system: atomic; the file keeps its mode (0600)


# ---- writing -------------------------------------------------------------------------------


async def upload_attachment(
    uow: UnitOfWork, record_type: AttachmentRecordType, record_id: int, upload: UploadedFile
) -> Attachment:
    """Attach a file to an order or customer the caller may change."""
    await _check_may_change(uow, record_type, record_id, "recordId")
    settings = uow.services.settings
    content_type = declared_type(upload.content_type)
    if content_type not in settings.attachment_content_types:
        raise InvalidInput.single(
            "file",
            f"files of type {content_type} are not accepted; accepted are "
            + ", ".join(settings.attachment_content_types),
        )
    staged = await _stage(settings, upload)
    try:
        if staged.size == 0:
            raise InvalidInput.single("file", "is empty")
        if problem := content_problem(content_type, staged.head):
            raise InvalidInput.single("file", problem)
        attachment = Attachment(
            record_type=record_type,
            record_id=record_id,
            file_name=clean_file_name(upload.filename),
            content_type=content_type,
            size=staged.size,
            sha256=staged.sha256,
            storage_key=secrets.token_hex(16),
            uploaded_by_id=uow.principal.user_id,
            created_at=uow.now,
        )
        uow.session.add(attachment)
        await uow.session.flush()
        target = storage_path(settings, attachment.storage_key)
        uow.on_rollback(lambda: target.unlink(missing_ok=True))
        await asyncio.to_thread(_move_into_place, staged.path, target)
    finally:
        staged.path.unlink(missing_ok=True)  # gone already once moved into place
    uow.log(
        record_type.value,
        record_id,
        "attach",
        {"attachment": [None, f"{attachment.file_name} ({attachment.id})"]},
    )
    return attachment


async def delete_attachment(uow: UnitOfWork, attachment_id: int) -> Attachment:
    """Hide an attachment everywhere; the file stays on disk with its row (soft delete)."""
    attachment = await uow.session.scalar(
        select(Attachment).where(
            Attachment.id == attachment_id, visibility.attachment(uow.principal)
        )
    )
    if attachment is None:
        raise NotFound("Attachment", attachment_id)
    await _check_may_change(uow, attachment.record_type, attachment.record_id, "id")
    attachment.deleted_at = uow.now
    uow.log(
        attachment.record_type.value,
        attachment.record_id,
        "detach",
        {"attachment": [f"{attachment.file_name} ({attachment.id})", None]},
    )
    return attachment


# ---- reading -------------------------------------------------------------------------------


async def downloadable(
    services: Services, principal: Principal, attachment_id: int
) -> tuple[Attachment, Path] | None:
    """The attachment and its file, if the caller may see it (None says nothing more)."""
    async with services.database.reader() as session:
        attachment = await session.scalar(
            select(Attachment).where(
                Attachment.id == attachment_id, visibility.attachment(principal)
            )
        )
    if attachment is None:
        return None
    path = storage_path(services.settings, attachment.storage_key)
    if not await asyncio.to_thread(path.is_file):
        logger.error("attachment %s has no file at %s", attachment.id, path)
        return None
    return attachment, path
