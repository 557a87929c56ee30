from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from gql_crm.resolvers.kit import connection
from gql_crm.schema.report import DailyReportType
from gql_crm.services import report as service

From = Annotated[date, strawberry.argument(name="from")]


@strawberry.type
class ReportQuery:
    my_daily_reports = connection(
        service.my_reports_query, DailyReportType, service.NEWEST_FIRST, from_=From, to=date,
        description="Your daily reports with day in [from, to], newest first.",
    )  # fmt: skip
    daily_reports = connection(
        service.scope_reports_query, DailyReportType, service.NEWEST_FIRST,
        needs=service.STATISTICS_VIEW, from_=From, to=date, user_id=int | None,
        description="Daily reports of the users in your data scope (your subordinates), with "
        "day in [from, to], newest first; userId narrows to one of them.",
    )  # fmt: skip
