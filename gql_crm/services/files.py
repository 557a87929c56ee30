"""Receiving, checking, placing and removing stored files (attachments and documents).

An upload is streamed into a staging file while it is counted and hashed, refused when it is
too large or not what it claims to be, and placed in its store (``gql_crm/storage.py``) while
its row is written. If the unit of work does not commit, the placed file is removed again: a
row never lacks its file, and a file without a row is only ever left by a crash mid-request.
A purged row's file is removed once the purge is committed.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Select, delete

from gql_crm.db.models import Attachment, AttachmentRecordType
from gql_crm.private_files import create_private, private_dir
from gql_crm.services.errors import InvalidInput
from gql_crm.services.unit_of_work import UnitOfWork
from gql_crm.storage import CHUNK, Area, FileStore, file_store

HEAD = 8 * 1024  # what content sniffing looks at

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
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def accepted_type(upload: UploadedFile, accepted: list[str]) -> str:
    """The upload's declared media type, if it is on the ``accepted`` list."""
    content_type = declared_type(upload.content_type)
    if content_type not in accepted:
        raise InvalidInput.single(
            "file",
            f"files of type {content_type} are not accepted; accepted are " + ", ".join(accepted),
        )
    return content_type


@dataclass(frozen=True, slots=True)
class StagedFile:
    path: Path
    size: int
    sha256: str
    head: bytes


async def stage(store: FileStore, upload: UploadedFile, limit: int) -> StagedFile:
    """Copy the upload into a staging file, counting and hashing; refuse it past ``limit``."""
    incoming = store.staging
    await asyncio.to_thread(private_dir, incoming)
    path = incoming / secrets.token_hex(16)
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


def check_content(staged: StagedFile, content_type: str) -> None:
    if staged.size == 0:
        raise InvalidInput.single("file", "is empty")
    if problem := content_problem(content_type, staged.head):
        raise InvalidInput.single("file", problem)


def new_key() -> str:
    return secrets.token_hex(16)


async def place(uow: UnitOfWork, area: Area, key: str, staged: StagedFile) -> None:
    """Store the staged file under ``key``, removed again unless the unit of work commits."""
    store = file_store(uow.services.settings, area)
    uow.on_rollback(lambda: store.remove(key))
    await store.place(key, staged.path)


def forget(uow: UnitOfWork, area: Area, keys: Iterable[str]) -> None:
    """Remove the files under ``keys`` once the unit of work (which deletes their rows)
    committed."""
    wanted = list(keys)
    if not wanted:
        return
    store = file_store(uow.services.settings, area)

    async def remove() -> None:
        for key in wanted:
            await store.remove(key)

    uow.after_commit(remove)


async def purge_attachments(
    uow: UnitOfWork, record_type: AttachmentRecordType, record_ids: Select[Any] | list[int]
) -> None:
    """Delete the attachments of records being purged, and their bytes after the commit
    (attachments have no foreign key that would take them along)."""
    keys = await uow.session.scalars(
        delete(Attachment)
        .where(Attachment.record_type == record_type, Attachment.record_id.in_(record_ids))
        .returning(Attachment.storage_key)
    )
    forget(uow, "attachments", keys.all())
