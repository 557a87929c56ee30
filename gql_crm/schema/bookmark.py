from __future__ import annotations

from typing import Any

import strawberry

from gql_crm.db.models.bookmark import Bookmark
from gql_crm.schema.constraints import column_limits
from gql_crm.schema.kit import ModelInput, ModelType


def _limits(name: str) -> dict[str, Any]:
    return column_limits(Bookmark.__table__.c[name])  # type: ignore[arg-type]


@strawberry.type(name="Bookmark", description="A link of yours; no one else sees it.")
class BookmarkType(
    ModelType, model=Bookmark, fields="id title url folder position created_at updated_at"
):
    title: str = strawberry.field(description="What the link is called.")
    url: str = strawberry.field(description="An http:// or https:// address.")
    folder: str | None = strawberry.field(description="The folder it is kept in (null: none).")
    position: int = strawberry.field(description="Its place in your list, smallest first.")


@strawberry.input(description="A bookmark as you keep it.")
class BookmarkInput(ModelInput, model=Bookmark, fields="title url folder position"):
    title: str = strawberry.field(description="What to call it.", metadata=_limits("title"))
    url: str = strawberry.field(
        description="An http:// or https:// address.", metadata=_limits("url")
    )
    folder: str | None = strawberry.field(
        default=None, description="A folder name to file it in.", metadata=_limits("folder")
    )
    position: int = strawberry.field(
        default=0, description="Its place in your list, smallest first."
    )


@strawberry.type(description="What a bookmark mutation answers when it succeeds.")
class BookmarkSuccess:
    bookmark: BookmarkType = strawberry.field(description="The bookmark as it now is.")
