from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select

from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.engine import Reads
from gql_crm.db.models.document import DocumentFolder
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
