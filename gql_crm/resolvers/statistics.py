from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from gql_crm.context import Info
from gql_crm.resolvers.common import mutate, read
from gql_crm.resolvers.job import StartJobResult
from gql_crm.schema.common import requires
from gql_crm.schema.errors import BadRequest
from gql_crm.schema.job import JobSuccess, job_node
from gql_crm.schema.statistics import ReportType, StatisticsFilter
from gql_crm.services import exports
from gql_crm.services import statistics as service
from gql_crm.services.exports import Chart
from gql_crm.services.statistics import (
    STATISTICS_VIEW,
    Dimension,
    Metric,
    ReportKind,
    ReportRequest,
)

From = Annotated[
    date, strawberry.argument(name="from", description="First company day (inclusive).")
]
To = Annotated[date, strawberry.argument(description="Last company day (inclusive).")]
By = Annotated[Dimension, strawberry.argument(description="What the rows are.")]
Narrowing = Annotated[StatisticsFilter | None, strawberry.argument(description="Narrowing.")]


async def _report(info: Info, request: ReportRequest) -> ReportType:
    principal = info.context.require_principal()
    try:
        return ReportType.of(await read(info, lambda s: request.run(s, principal)))
    except service.ReportProblem as problem:
        raise BadRequest(str(problem)) from None


def _filters(filter: StatisticsFilter | None) -> service.Filters:
    return filter.narrowing() if filter else service.Filters()


@strawberry.type
class StatisticsQuery:
    @strawberry.field(
        extensions=[requires(STATISTICS_VIEW)],
        description="Any metrics grouped by any dimension: by DAY, MONTH or YEAR a time "
        "series with every bucket listed (zeros included); by USER or DEPARTMENT everyone in "
        "your scope; by product, deal type or a customer attribute the groups with figures. "
        "Products and product categories break down the product metrics and intent "
        "customers only.",
    )
    async def statistics(
        self,
        info: Info,
        metrics: Annotated[list[Metric], strawberry.argument(description="One series each.")],
        by: By,
        from_: From,
        to: To,
        filter: Narrowing = None,
    ) -> ReportType:
        return await _report(
            info,
            ReportRequest(ReportKind.STATISTICS, by, from_, to, tuple(metrics), _filters(filter)),
        )

    @strawberry.field(
        extensions=[requires(STATISTICS_VIEW)],
        description="People (by USER) or departments (by DEPARTMENT) of your scope ranked on "
        "one metric, highest first, with ranks and ties stated.",
    )
    async def statistics_leaderboard(
        self,
        info: Info,
        metric: Annotated[Metric, strawberry.argument(description="What to rank on.")],
        by: By,
        from_: From,
        to: To,
        filter: Narrowing = None,
    ) -> ReportType:
        return await _report(
            info, ReportRequest(ReportKind.LEADERBOARD, by, from_, to, (metric,), _filters(filter))
        )

    @strawberry.field(
        extensions=[requires(STATISTICS_VIEW)],
        description="Per person (by USER) or department (by DEPARTMENT): customers entered, "
        "customers claimed, deal total, quantity sold and profit; filter.dealTypeId narrows "
        "the deal figures.",
    )
    async def combined_statistics(
        self, info: Info, by: By, from_: From, to: To, filter: Narrowing = None
    ) -> ReportType:
        return await _report(
            info, ReportRequest(ReportKind.COMBINED, by, from_, to, filters=_filters(filter))
        )

    @strawberry.field(
        extensions=[requires(STATISTICS_VIEW)],
        description="Per product, product category, person or department: intent customers "
        "(with an opportunity created in the range; by product or category, under those its "
        "orders name), units sold and sales amount (order lines of deals signed in the range).",
    )
    async def product_statistics(
        self, info: Info, by: By, from_: From, to: To, filter: Narrowing = None
    ) -> ReportType:
        return await _report(
            info, ReportRequest(ReportKind.PRODUCTS, by, from_, to, filters=_filters(filter))
        )

    @strawberry.field(
        extensions=[requires(STATISTICS_VIEW)],
        description="Customers you may see by one attribute (kind, category, source, status, "
        "industry, maturity, city): all of them, or with from and to those created then.",
    )
    async def customer_statistics(
        self,
        info: Info,
        by: By,
        from_: Annotated[
            date | None,
            strawberry.argument(name="from", description="First company day of creation."),
        ] = None,
        to: Annotated[
            date | None, strawberry.argument(description="Last company day of creation.")
        ] = None,
    ) -> ReportType:
        return await _report(info, ReportRequest(ReportKind.CUSTOMERS, by, from_, to))


@strawberry.type
class StatisticsMutation:
    @strawberry.mutation(
        extensions=[requires(STATISTICS_VIEW)],
        description="Export a report as an .xlsx workbook in the background: the table "
        "(labels, one column per series with its unit, a total row) and a native Excel chart "
        "drawn from it. The arguments are those of the report's query (`metrics`: any for "
        "STATISTICS, exactly one for LEADERBOARD, none for the others; `from` and `to` "
        "optional for CUSTOMERS only), and the figures are the query's for you: the job "
        "runs it as you, within your data scope. Needs `statistics:export` too. Bad "
        "arguments are refused at once, with no job; follow the job with `jobProgress`, then "
        "download `resultUrl`.",
    )
    async def start_report_export(
        self,
        info: Info,
        report: Annotated[ReportKind, strawberry.argument(description="Which report to export.")],
        by: By,
        from_: Annotated[
            date | None,
            strawberry.argument(name="from", description="First company day (inclusive)."),
        ] = None,
        to: Annotated[
            date | None, strawberry.argument(description="Last company day (inclusive).")
        ] = None,
        metrics: Annotated[
            list[Metric] | None,
            strawberry.argument(description="One series each (STATISTICS, LEADERBOARD)."),
        ] = None,
        filter: Narrowing = None,
        chart: Annotated[
            Chart | None,
            strawberry.argument(
                description="The chart to draw (default: a line along time, bars for a "
                "leaderboard, a pie for the customer breakdown, columns otherwise)."
            ),
        ] = None,
    ) -> StartJobResult:
        request = ReportRequest(report, by, from_, to, tuple(metrics or ()), _filters(filter))
        return await mutate(
            info,
            lambda uow: exports.start_report_export(uow, request, chart),
            lambda job: JobSuccess(job=job_node(job)),
        )
