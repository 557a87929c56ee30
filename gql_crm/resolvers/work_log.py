from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from gql_crm.resolvers.kit import connection, default, described, mutation
from gql_crm.schema.common import InvalidInputError, NotFoundError
from gql_crm.schema.constraints import constraint
from gql_crm.schema.work_log import WorkLogCommentSuccess, WorkLogSuccess, WorkLogType
from gql_crm.services import work_log as service


def _content(max_length: int) -> object:
    return Annotated[
        str, strawberry.argument(metadata=constraint(max_length=max_length, required=True))
    ]


@strawberry.type
class WorkLogQuery:
    work_logs = connection(
        service.work_logs_query, WorkLogType, service.ORDER, mine=default(
            described(bool, "true: the logs you wrote; false: those submitted to you."), True
        ),
        description="Your work logs (mine: true) or those submitted to you.",
    )  # fmt: skip


@strawberry.type
class WorkLogMutation:
    submit_work_log = mutation(
        service.submit, WorkLogSuccess, needs=None, failures=(InvalidInputError,),
        union="SubmitWorkLogResult", description="Submit to a leader, who is notified.",
        leader_id=int, log_date=date, content=_content(20_000),
    )  # fmt: skip
    comment_on_work_log = mutation(
        service.add_comment, WorkLogCommentSuccess, needs=None,
        failures=(InvalidInputError, NotFoundError), union="CommentWorkLogResult",
        description="The leader or the author comments; the other is notified.",
        id=int, content=_content(5000),
    )  # fmt: skip
