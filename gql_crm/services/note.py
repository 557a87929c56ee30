"""The notepad (F7.6): each user's own notes, which no one else sees."""

from __future__ import annotations

from typing import Any

from gql_crm.db import visibility
from gql_crm.db.models.note import Note
from gql_crm.db.pagination import SortKey
from gql_crm.services.records import Records
from gql_crm.services.unit_of_work import UnitOfWork

ORDER = (SortKey(Note.updated_at, True), SortKey(Note.id, True))


async def mine(uow: UnitOfWork, values: dict[str, Any], row: Any) -> dict[str, Any]:
    """A personal record belongs to whoever writes it."""
    return {**values, "owner_id": row.owner_id if row else uow.principal.user_id}


notes = Records(Note, "note", visibility.note, check=mine, summary="title", searched="title")
