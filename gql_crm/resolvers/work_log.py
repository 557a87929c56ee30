from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from gql_crm.context import Info
from gql_crm.resolvers.common import mutate, paginate
from gql_crm.schema.common import Connection, InvalidInputError, NotFoundError
from gql_crm.schema.constraints import constraint
from gql_crm.schema.work_log import (
    WorkLogCommentSuccess,
    WorkLogCommentType,
    WorkLogSuccess,
    WorkLogType,
)
from gql_crm.services import work_log as work_log_service

SubmitWorkLogResult = Annotated[
    WorkLogSuccess | InvalidInputError, strawberry.union("SubmitWorkLogResult")
]
CommentWorkLogResult = Annotated[
    WorkLogCommentSuccess | InvalidInputError | NotFoundError,
    strawberry.union("CommentWorkLogResult"),
]


@strawberry.type
class WorkLogQuery:
    @strawberry.field(description="Your work logs (mine: true) or those submitted to you.")
    async def work_logs(
        self, info: Info, mine: bool = True, first: int | None = None, after: str | None = None
    ) -> Connection[WorkLogType]:
        principal = info.context.require_principal()
        return await paginate(
            info,
            work_log_service.work_logs_query(principal, mine=mine),
            work_log_service.ORDER,
            first=first,
            after=after,
            to_node=WorkLogType.from_model,
        )


@strawberry.type
class WorkLogMutation:
    @strawberry.mutation(description="Submit to a leader, who is notified.")
    async def submit_work_log(
        self,
        info: Info,
        leader_id: int,
        log_date: date,
        content: Annotated[
            str, strawberry.argument(metadata=constraint(max_length=20_000, required=True))
        ],
    ) -> SubmitWorkLogResult:
        info.context.require_principal()
        return await mutate(
            info,
            lambda uow: work_log_service.submit(uow, leader_id, log_date, content),
            lambda log: WorkLogSuccess(work_log=WorkLogType.from_model(log)),
        )

    @strawberry.mutation(description="The leader or the author comments; the other is notified.")
    async def comment_on_work_log(
        self,
        info: Info,
        id: int,
        content: Annotated[
            str, strawberry.argument(metadata=constraint(max_length=5000, required=True))
        ],
    ) -> CommentWorkLogResult:
        info.context.require_principal()
        return await mutate(
            info,
            lambda uow: work_log_service.add_comment(uow, id, content),
            lambda c: WorkLogCommentSuccess(comment=WorkLogCommentType.from_model(c)),
        )
