"""Where the bytes of stored files (attachments, documents) live: one interface, two backends.

``local`` (the embedded default) keeps each file under a directory of the data directory,
mode 0600 in directories of mode 0700; ``s3`` keeps them in a bucket of any S3-compatible
object store (through ``obstore``). Files are named by a random key that the database row
holds; the user's file name is never part of a path.

Uploads are first staged on the local disk (counted, hashed and checked there by the services)
and only then placed in the store, so a refused upload never reaches it.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import obstore
from obstore.store import S3Store

from gql_crm.private_files import private_dir
from gql_crm.settings import Settings

Area = Literal["attachments", "documents"]
CHUNK = 64 * 1024
_KEY = re.compile(r"[0-9a-f]{32}")


def checked_key(key: str) -> str:
    """A storage key (32 hex digits) before it becomes part of a path or object name."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


@dataclass(frozen=True, slots=True)
class StoredFile:
    """An opened stored file: its size and its bytes, read in chunks as they are sent."""

    size: int
    chunks: AsyncIterator[bytes]


class FileStore(Protocol):
    """The bytes of one area (attachments or documents), by storage key."""

    @property
    def staging(self) -> Path:
        """A private local directory for uploads being received."""
        ...

    async def place(self, key: str, staged: Path) -> None:
        """Store the staged file under ``key``; the staged file is gone afterwards."""
        ...

    async def open(self, key: str) -> StoredFile | None:
        """The stored file, or None if there is none under ``key``."""
        ...

    async def remove(self, key: str) -> None:
        """Remove the file under ``key``; nothing happens if there is none."""
        ...


class LocalStore:
    """Files under ``root/<first two hex digits>/<key>``, mode 0600, directories 0700."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def staging(self) -> Path:
        return self.root / ".incoming"  # the same file system: placing is an atomic rename

    def path(self, key: str) -> Path:
        return self.root / checked_key(key)[:2] / key

    async def place(self, key: str, staged: Path) -> None:
        target = self.path(key)

        def move() -> None:
            private_dir(target.parent)
            os.replace(staged, target)  # the file keeps its mode (0600)

        await asyncio.to_thread(move)

    async def open(self, key: str) -> StoredFile | None:
        path = self.path(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            return None
        size = os.fstat(handle.fileno()).st_size

        async def chunks() -> AsyncIterator[bytes]:
            try:
                while chunk := await asyncio.to_thread(handle.read, CHUNK):
                    yield chunk
            finally:
                handle.close()

        return StoredFile(size, chunks())

    async def remove(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, True)


class ObjectStore:
    """Objects ``<prefix><area>/<key>`` in a bucket of an S3-compatible store."""

    def __init__(self, store: S3Store, prefix: str, staging: Path) -> None:
        self._store = store
        self._prefix = prefix
        self._staging = staging

    @property
    def staging(self) -> Path:
        return self._staging

    def name(self, key: str) -> str:
        return self._prefix + checked_key(key)

    async def place(self, key: str, staged: Path) -> None:
        try:
            await obstore.put_async(self._store, self.name(key), staged)
        finally:
            await asyncio.to_thread(staged.unlink, True)

    async def open(self, key: str) -> StoredFile | None:
        try:
            result = await obstore.get_async(self._store, self.name(key))
        except FileNotFoundError:
            return None

        async def chunks() -> AsyncIterator[bytes]:
            async for chunk in result.stream(min_chunk_size=CHUNK):
                yield bytes(chunk)

        return StoredFile(result.meta["size"], chunks())

    async def remove(self, key: str) -> None:
        await obstore.delete_async(self._store, self.name(key))  # absent: not an error


@functools.cache
def _s3(
    bucket: str, endpoint: str | None, region: str, key_id: str | None, secret: str | None
) -> S3Store:
    config: dict[str, object] = {"region": region}
    if endpoint:  # a store other than AWS: path-style requests to its address
        config |= {"endpoint": endpoint, "virtual_hosted_style_request": False}
    if key_id and secret:
        config |= {"access_key_id": key_id, "secret_access_key": secret}
    options = {"allow_http": True} if endpoint and endpoint.startswith("http://") else None
    return S3Store(bucket, client_options=options, **config)  # type: ignore[arg-type]


def file_store(settings: Settings, area: Area) -> FileStore:
    """The store of ``area`` that the settings choose."""
    if settings.storage == "s3":
        if not settings.s3_bucket:
            raise RuntimeError("GQL_CRM_STORAGE=s3 needs GQL_CRM_S3_BUCKET")
        secret = settings.s3_secret_access_key
        store = _s3(
            settings.s3_bucket,
            settings.s3_endpoint,
            settings.s3_region,
            settings.s3_access_key_id,
            secret.get_secret_value() if secret else None,
        )
        return ObjectStore(store, f"{settings.s3_prefix}{area}/", settings.data_dir / ".incoming")
    root = settings.attachments_dir if area == "attachments" else settings.documents_dir
    return LocalStore(root)
