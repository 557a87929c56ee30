from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select

from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.engine import Reads
from gql_crm.db.models.document import Document, DocumentFolder
from gql_crm.loaders.batch import by_key, in_keys, per_principal


@per_principal
def _visible_folders(principal: Principal) -> Select[DocumentFolder]:
    return select(DocumentFolder).where(
        in_keys(DocumentFolder.id), visibility.document_folder(principal)
    )


async def load_visible_folders(
    database: Reads, principal: Principal, ids: Sequence[int]
) -> list[DocumentFolder | None]:
    """Folders by id, if the caller may open them (None if not)."""
    return await by_key(database, _visible_folders(principal), lambda f: f.id, ids)


@per_principal
def _changeable_folders(principal: Principal) -> Select[int]:
    return select(DocumentFolder.id).where(
        in_keys(DocumentFolder.id), visibility.writable_document_folder(principal)
    )


@per_principal
def _changeable_documents(principal: Principal) -> Select[int]:
    return select(Document.id).where(in_keys(Document.id), visibility.writable_document(principal))


async def load_changeable_folders(
    database: Reads, principal: Principal, ids: Sequence[int]
) -> list[bool]:
    """Whether the caller may change each folder."""
    found = await by_key(database, _changeable_folders(principal), lambda id: id, ids)
    return [id is not None for id in found]


async def load_changeable_documents(
    database: Reads, principal: Principal, ids: Sequence[int]
) -> list[bool]:
    """Whether the caller may change each document."""
    found = await by_key(database, _changeable_documents(principal), lambda id: id, ids)
    return [id is not None for id in found]
