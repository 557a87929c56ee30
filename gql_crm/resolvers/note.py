from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.resolvers.kit import connection, mutation
from gql_crm.schema import note as schema
from gql_crm.schema.common import DeleteSuccess
from gql_crm.services import note as service

Search = Annotated[str | None, strawberry.argument(description="Part of the title.")]


@strawberry.type
class NoteQuery:
    notes = connection(
        service.notes.rows, schema.NoteType, service.ORDER, search=Search,
        description="Your notepad, latest changed first.",
    )  # fmt: skip


@strawberry.type
class NoteMutation:
    create_note = mutation(
        service.notes.create, schema.NoteSuccess, needs=None, input=schema.NoteInput,
        description="Write a note.",
    )  # fmt: skip
    update_note = mutation(
        service.notes.update, schema.NoteSuccess, needs=None, id=int, input=schema.NoteInput,
        description="Change one of your notes.",
    )  # fmt: skip
    delete_note = mutation(
        service.notes.delete, DeleteSuccess, needs=None, id=int,
        description="Delete one of your notes for good.",
    )  # fmt: skip
