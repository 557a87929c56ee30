from __future__ import annotations

from datetime import date, datetime

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import WorkLog, WorkLogComment
from gql_crm.schema.user import UserType


@strawberry.type(name="WorkLogComment")
class WorkLogCommentType:
    id: int
    author_id: int
    content: str
    created_at: datetime

    @classmethod
    def from_model(cls, row: WorkLogComment) -> WorkLogCommentType:
        return cls(
            id=row.id, author_id=row.author_id, content=row.content, created_at=row.created_at
        )

    @strawberry.field
    async def author(self, info: Info) -> UserType | None:
        user = await info.context.loaders.user.load(self.author_id)
        return UserType.from_model(user) if user else None


@strawberry.type(name="WorkLog", description="A work log submitted to a leader (F7.3).")
class WorkLogType:
    id: int
    author_id: int
    leader_id: int
    log_date: date
    content: str
    created_at: datetime

    @classmethod
    def from_model(cls, row: WorkLog) -> WorkLogType:
        return cls(
            id=row.id,
            author_id=row.author_id,
            leader_id=row.leader_id,
            log_date=row.log_date,
            content=row.content,
            created_at=row.created_at,
        )

    @strawberry.field
    async def author(self, info: Info) -> UserType | None:
        user = await info.context.loaders.user.load(self.author_id)
        return UserType.from_model(user) if user else None

    @strawberry.field
    async def leader(self, info: Info) -> UserType | None:
        user = await info.context.loaders.user.load(self.leader_id)
        return UserType.from_model(user) if user else None

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
