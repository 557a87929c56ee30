from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from gql_crm.context import Info
from gql_crm.resolvers.common import paginate
from gql_crm.schema.common import Connection, requires
from gql_crm.schema.report import DailyReportType
from gql_crm.services import report as service


@strawberry.type
class ReportQuery:
    @strawberry.field(description="Your daily reports with day in [from, to], newest first.")
    async def my_daily_reports(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[DailyReportType]:
        stmt = service.reports_query(info.context.require_principal(), from_, to, mine=True)
        return await paginate(
            info,
            stmt,
            service.NEWEST_FIRST,
            first=first,
            after=after,
            to_node=DailyReportType.from_model,
        )

    @strawberry.field(
        extensions=[requires(service.STATISTICS_VIEW)],
        description="Daily reports of the users in your data scope (your subordinates), with "
        "day in [from, to], newest first; userId narrows to one of them.",
    )
    async def daily_reports(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        user_id: int | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[DailyReportType]:
        stmt = service.reports_query(
            info.context.require_principal(), from_, to, user_id, mine=False
        )
        return await paginate(
            info,
            stmt,
            service.NEWEST_FIRST,
            first=first,
            after=after,
            to_node=DailyReportType.from_model,
        )
