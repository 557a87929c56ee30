from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from gql_crm.services import statistics as service
from gql_crm.services.exports import Chart

MetricEnum = strawberry.enum(
    service.Metric, name="StatisticsMetric", description="What a statistics report counts."
)
UnitEnum = strawberry.enum(
    service.Unit, name="StatisticsUnit", description="The unit of a series' values."
)
DimensionEnum = strawberry.enum(
    service.Dimension,
    name="StatisticsDimension",
    description="What a report groups by: company days, months or years, people, "
    "departments, products, deal types or an attribute of the customer.",
)

ReportKindEnum = strawberry.enum(
    service.ReportKind,
    name="StatisticsReportKind",
    description="Which report: each is also a query, taking the same arguments.",
)
ChartEnum = strawberry.enum(
    Chart, name="ReportChart", description="The native Excel chart an exported report draws."
)


@strawberry.input(description="Narrows a report; everything left out means no narrowing.")
class StatisticsFilter:
    user_id: int | None = strawberry.field(
        default=None, description="Only the figures of this person (within your data scope)."
    )
    department_id: int | None = strawberry.field(
        default=None,
        description="Only the figures of the members of this department and of the "
        "departments below it, as they stand now.",
    )
    deal_type_id: int | None = strawberry.field(
        default=None,
        description="Only deals of this type (an opportunity-type option: orders count by "
        "their opportunity's type). Narrows the deal figures (deal total, profit, quantity, "
        "product sales and customers, payments, refunds, intent customers); counts of "
        "customers and follow-ups are not deals and stay whole.",
    )

    def narrowing(self) -> service.Filters:
        return service.Filters(self.user_id, self.department_id, self.deal_type_id)


@strawberry.type(name="StatisticsSeries", description="One metric's values along the report.")
class SeriesType:
    metric: service.Metric = strawberry.field(description="What the values count.")
    unit: service.Unit = strawberry.field(
        description="COUNT: whole numbers; MONEY: the company currency, two decimals; "
        "QUANTITY: units of products, two decimals."
    )
    values: list[Decimal] = strawberry.field(
        description="One value per key of the report, in the same order; 0 where nothing happened."
    )
    total: Decimal = strawberry.field(
        description="The figure over the whole report: the sum of the values, except for "
        "distinct customers, each of whom counts once however many groups they fall in."
    )


@strawberry.type(
    name="StatisticsReport",
    description="A table ready for a chart or a spreadsheet: `keys` and `labels` along one "
    "axis, one series of values per metric, each with its unit. Figures are computed live "
    "over the records of the people in your data scope.",
)
class ReportType:
    dimension: service.Dimension = strawberry.field(description="What the rows are.")
    from_: date | None = strawberry.field(
        name="from", description="First company day covered (null: all time)."
    )
    to: date | None = strawberry.field(description="Last company day covered (null: all time).")
    timezone: str = strawberry.field(description="The company time zone that decided the days.")
    keys: list[str] = strawberry.field(
        description="One per row: YYYY-MM-DD, YYYY-MM or YYYY for time, otherwise the id of "
        "the user, department, product or option (a city's or customer kind's own value); "
        "an empty string for records without one."
    )
    labels: list[str] = strawberry.field(
        description="One per row: what a reader calls it (a name, a label, the day)."
    )
    series: list[SeriesType] = strawberry.field(description="One series per metric asked for.")
    ranks: list[int] | None = strawberry.field(
        description="Leaderboards: each row's rank on the first series, highest first; "
        "equal values share a rank (1, 2, 2, 4). Null for other reports."
    )
    tied: list[bool] | None = strawberry.field(
        description="Leaderboards: whether the row shares its rank with another. Null for "
        "other reports."
    )
    deal_type_id: int | None = strawberry.field(
        description="The deal type the deal figures were narrowed to, if any."
    )

    @classmethod
    def of(cls, report: service.Report) -> ReportType:
        return cls(
            dimension=report.dimension,
            from_=report.first,
            to=report.last,
            timezone=report.timezone,
            keys=report.keys,
            labels=report.labels,
            series=[SeriesType(metric=s.metric, unit=s.unit, values=s.values, total=s.total)
                    for s in report.series],
            ranks=report.ranks,
            tied=report.tied,
            deal_type_id=report.deal_type_id,
        )  # fmt: skip


__all__ = [
    "ChartEnum",
    "DimensionEnum",
    "MetricEnum",
    "ReportKindEnum",
    "ReportType",
    "StatisticsFilter",
    "UnitEnum",
]
