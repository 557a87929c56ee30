"""Bookmarks (F7.7): each user's own links, in named folders, in the order they set."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from gql_crm.db import visibility
from gql_crm.db.models.bookmark import Bookmark
from gql_crm.db.pagination import SortKey
from gql_crm.services.errors import InvalidInput
from gql_crm.services.note import mine
from gql_crm.services.records import Records
from gql_crm.services.unit_of_work import UnitOfWork

ORDER = (SortKey(Bookmark.position), SortKey(Bookmark.id))


async def _check(uow: UnitOfWork, values: dict[str, Any], row: Any) -> dict[str, Any]:
    """Only web addresses: a link that a browser opens as a page, never a script."""
    parts = urlsplit(values["url"])
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InvalidInput.single("url", "must be an http:// or https:// address")
    return await mine(uow, values, row)


bookmarks = Records(Bookmark, "bookmark", visibility.bookmark, check=_check, summary="title")
