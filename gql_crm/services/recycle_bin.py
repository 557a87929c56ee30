"""The recycle bin (F2.12) of every record kind that has one.

Deleting moves a record to its deleter's bin, where it is hidden everywhere; the deleter
restores it exactly as it was, or purges it for good. Which binned rows a caller may reach is
``db/visibility.binned``: their own deletions that they would still see restored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from gql_crm.db.pagination import SortKey
from gql_crm.services.unit_of_work import UnitOfWork


def latest_first(model: Any) -> tuple[SortKey, SortKey]:
    """A bin's order: latest deleted first."""
    return SortKey(model.deleted_at, True), SortKey(model.id, True)


def discard(uow: UnitOfWork, entity_type: str, row: Any) -> None:
    """Move ``row`` to the caller's recycle bin."""
    row.deleted_at = uow.now
    row.deleted_by_id = uow.principal.user_id
    uow.log(entity_type, row.id, "delete", {"deletedAt": [None, uow.now.isoformat()]})


async def binned(uow: UnitOfWork, model: type[Any], record_id: int, reach: Any, label: str) -> Any:
    """A row of the caller's bin (``reach``: its ``visibility.binned`` condition)."""
    return await uow.find(model, record_id, reach, label=f"{label} in your recycle bin")


def restore(uow: UnitOfWork, entity_type: str, row: Any) -> None:
    """Bring ``row`` back from the bin as it was."""
    deleted_at = row.deleted_at
    row.deleted_at = None
    row.deleted_by_id = None
    was = deleted_at.isoformat() if deleted_at else None
    uow.log(entity_type, row.id, "restore", {"deletedAt": [was, None]})


async def purge(uow: UnitOfWork, entity_type: str, row: Any, summary: dict[str, Any]) -> int:
    """Delete ``row`` for good (what hangs on it goes with it by its foreign keys)."""
    model = type(row)
    await uow.session.execute(delete(model).where(model.id == row.id))
    uow.log(entity_type, row.id, "purge", summary)
    return int(row.id)
