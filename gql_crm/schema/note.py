from __future__ import annotations

from typing import Any

import strawberry

from gql_crm.db.models.note import Note
from gql_crm.schema.constraints import column_limits
from gql_crm.schema.kit import ModelInput, ModelType


def _limits(name: str) -> dict[str, Any]:
    return column_limits(Note.__table__.c[name])  # type: ignore[arg-type]


@strawberry.type(name="Note", description="A note of your notepad; no one else sees it.")
class NoteType(ModelType, model=Note, fields="id title content created_at updated_at"):
    title: str = strawberry.field(description="The note's title.")
    content: str | None = strawberry.field(description="The note itself, as written.")


@strawberry.input(description="A note as you write it.")
class NoteInput(ModelInput, model=Note, fields="title content"):
    title: str = strawberry.field(description="The note's title.", metadata=_limits("title"))
    content: str | None = strawberry.field(
        default=None, description="The note itself.", metadata=_limits("content")
    )


@strawberry.type(description="What a note mutation answers when it succeeds.")
class NoteSuccess:
    note: NoteType = strawberry.field(description="The note as it now is.")
