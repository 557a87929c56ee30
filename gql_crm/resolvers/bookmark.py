from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.resolvers.kit import connection, mutation
from gql_crm.schema import bookmark as schema
from gql_crm.schema.common import DeleteSuccess
from gql_crm.services import bookmark as service

Folder = Annotated[str | None, strawberry.argument(description="Only those in this folder.")]


@strawberry.type
class BookmarkQuery:
    bookmarks = connection(
        service.bookmarks.rows, schema.BookmarkType, service.ORDER, folder=Folder,
        description="Your bookmarks, in your order.",
    )  # fmt: skip


@strawberry.type
class BookmarkMutation:
    create_bookmark = mutation(
        service.bookmarks.create, schema.BookmarkSuccess, needs=None, input=schema.BookmarkInput,
        description="Keep a link.",
    )  # fmt: skip
    update_bookmark = mutation(
        service.bookmarks.update, schema.BookmarkSuccess, needs=None, id=int,
        input=schema.BookmarkInput, description="Change, refile or reorder a bookmark.",
    )  # fmt: skip
    delete_bookmark = mutation(
        service.bookmarks.delete, DeleteSuccess, needs=None, id=int,
        description="Delete one of your bookmarks.",
    )  # fmt: skip
