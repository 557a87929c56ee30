from __future__ import annotations

from datetime import date, datetime

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import WorkLog, WorkLogComment
from gql_crm.schema.kit import ModelType, related
from gql_crm.schema.user import UserType


@strawberry.type(name="WorkLogComment", description="A leader's comment on a work log.")
class WorkLogCommentType(ModelType, model=WorkLogComment):
    id: int
    author_id: int
    content: str
    created_at: datetime

    author = related(UserType, "author_id", "user")


@strawberry.type(name="WorkLog", description="A work log submitted to a leader.")
class WorkLogType(ModelType, model=WorkLog):
    id: int
    author_id: int
    leader_id: int
    log_date: date
    content: str
    created_at: datetime

    author = related(UserType, "author_id", "user")

    leader = related(UserType, "leader_id", "user")

    @strawberry.field(description="Oldest first.")
    async def comments(self, info: Info) -> list[WorkLogCommentType]:
        rows = await info.context.loaders.work_log_comments.load(self.id)
        return [WorkLogCommentType.from_model(row) for row in rows]


@strawberry.type
class WorkLogSuccess:
    work_log: WorkLogType


@strawberry.type
class WorkLogCommentSuccess:
    comment: WorkLogCommentType
