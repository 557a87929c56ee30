from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.resolvers.kit import connection, default, mutation
from gql_crm.schema import diary as schema
from gql_crm.schema.common import DeleteSuccess
from gql_crm.schema.constraints import constraint
from gql_crm.services import diary as service

Mine = default(
    Annotated[bool, strawberry.argument(description="Yours (true) or your team's shared ones.")],
    True,
)
Comment = Annotated[
    str,
    strawberry.argument(
        description="The comment.", metadata=constraint(max_length=5000, required=True)
    ),
]


@strawberry.type
class DiaryQuery:
    diary_entries = connection(
        service.rows, schema.DiaryEntryType, service.ORDER, mine=Mine,
        description="Diary entries, latest day first.",
    )  # fmt: skip


@strawberry.type
class DiaryMutation:
    create_diary_entry = mutation(
        service.own_entries.create, schema.DiaryEntrySuccess, needs=None,
        input=schema.DiaryEntryInput,
        description="Write the entry of a day (one a day); shared, your leader is told.",
    )  # fmt: skip
    update_diary_entry = mutation(
        service.own_entries.update, schema.DiaryEntrySuccess, needs=None, id=int,
        input=schema.DiaryEntryInput, description="Change one of your entries.",
    )  # fmt: skip
    delete_diary_entry = mutation(
        service.own_entries.delete, DeleteSuccess, needs=None, id=int,
        description="Delete one of your entries for good.",
    )  # fmt: skip
    comment_on_diary_entry = mutation(
        service.comment, schema.DiaryCommentSuccess, needs=None, id=int, content=Comment,
        description="Comment on your entry, or as the leader it is shared with; the other "
        "is told.",
    )  # fmt: skip
