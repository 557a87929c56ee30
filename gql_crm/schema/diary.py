from __future__ import annotations

from datetime import date

import strawberry

from gql_crm.db.models import User
from gql_crm.db.models.diary import DiaryComment, DiaryEntry
from gql_crm.loaders.batch import children
from gql_crm.schema.constraints import column_limits
from gql_crm.schema.kit import ModelInput, ModelType, related
from gql_crm.schema.user import UserType

comments_of_entry = children(DiaryComment.entry_id, DiaryComment.id)


@strawberry.type(name="DiaryComment", description="A comment on a diary entry.")
class DiaryCommentType(ModelType, model=DiaryComment, fields="id author_id content created_at"):
    content: str = strawberry.field(description="The comment.")
    author = related(UserType, "author_id", User, description="Who wrote it.")


@strawberry.type(
    name="DiaryEntry",
    description="A day of your work diary, or of a colleague who shared it with you as their "
    "leader.",
)
class DiaryEntryType(
    ModelType,
    model=DiaryEntry,
    fields="id owner_id entry_date content shared_with_leader created_at updated_at",
):
    entry_date: date = strawberry.field(description="The day it is about (one entry a day).")
    content: str = strawberry.field(description="What the day brought.")
    shared_with_leader: bool = strawberry.field(
        description="Whether your leader (your department's manager) may read and comment."
    )
    owner = related(UserType, "owner_id", User, description="Whose diary it is.")
    comments = related(
        DiaryCommentType, "id", comments_of_entry, many=True, description="Oldest first."
    )


@strawberry.input(description="A diary entry as you write it.")
class DiaryEntryInput(ModelInput, model=DiaryEntry, fields="entry_date content"):
    entry_date: date = strawberry.field(description="The day it is about.")
    content: str = strawberry.field(
        description="What the day brought.",
        metadata=column_limits(DiaryEntry.__table__.c.content),  # type: ignore[arg-type]
    )
    shared_with_leader: bool = strawberry.field(
        default=False, description="Let your leader read it and comment."
    )


@strawberry.type(description="What a diary mutation answers when it succeeds.")
class DiaryEntrySuccess:
    entry: DiaryEntryType = strawberry.field(description="The entry as it now is.")


@strawberry.type(description="What commenting answers when it succeeds.")
class DiaryCommentSuccess:
    comment: DiaryCommentType = strawberry.field(description="The comment as written.")
