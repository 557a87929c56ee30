"""Reports exported to Excel: the job writes the table its query answers for the same user
and arguments, and a native chart drawn from that table's cells; bad arguments start no job."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart, LineChart, PieChart
from sqlalchemy import select

from gql_crm.db.models import Pool, Position
from gql_crm.db.models.job import Job, JobKind, JobState
from gql_crm.services import job as jobs
from gql_crm.services import statistics_rollup
from gql_crm.services.exports import REPORT
from gql_crm.services.statistics import Dimension, ReportKind, ReportRequest
from gql_crm.services.unit_of_work import Services
from gql_crm.settings import Settings
from tests.conftest import START
from tests.fixtures.factories import add_customer, add_order, count, payment
from tests.fixtures.users import user_ids
from tests.graphql_client import GraphQLClient
from tests.job.support import download, finished

ARGUMENTS = """$report: StatisticsReportKind!, $by: StatisticsDimension!, $from: Date, $to: Date,
  $metrics: [StatisticsMetric!], $filter: StatisticsFilter, $chart: ReportChart"""
EXPORT = f"""mutation({ARGUMENTS}) {{
  result: startReportExport(report: $report, by: $by, from: $from, to: $to, metrics: $metrics,
    filter: $filter, chart: $chart) {{ __typename
    ... on JobSuccess {{ job {{ id subject state rowsDone resultUrl resultName message }} }}
    ... on InvalidInputError {{ code message problems {{ field message }} }} }} }}"""
SERIES = "labels ranks tied series { metric unit values total }"
QUERIES = {
    "STATISTICS": f"""query($by: StatisticsDimension!, $from: Date!, $to: Date!,
      $metrics: [StatisticsMetric!]!, $filter: StatisticsFilter) {{ report: statistics(
      metrics: $metrics, by: $by, from: $from, to: $to, filter: $filter) {{ {SERIES} }} }}""",
    "LEADERBOARD": f"""query($by: StatisticsDimension!, $from: Date!, $to: Date!,
      $metric: StatisticsMetric!) {{ report: statisticsLeaderboard(metric: $metric, by: $by,
      from: $from, to: $to) {{ {SERIES} }} }}""",
    "COMBINED": f"""query($by: StatisticsDimension!, $from: Date!, $to: Date!) {{
      report: combinedStatistics(by: $by, from: $from, to: $to) {{ {SERIES} }} }}""",
    "CUSTOMERS": f"""query($by: StatisticsDimension!) {{
      report: customerStatistics(by: $by) {{ {SERIES} }} }}""",
}
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture(autouse=True)
def jobs_in_process(settings: Settings) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "jobs_in_process", True)
        yield


async def _grant_sales_staff(services: Services, *codes: str) -> None:
    async with services.database.writer() as session, session.begin():
        staff = await session.scalar(select(Position).where(Position.name == "Sales staff"))
        assert staff is not None
        staff.permissions = sorted({*staff.permissions, *codes})


async def _sales(services: Services) -> None:
    """sales1 signs 300.00 on 2 March and is paid 120.50 on 3 March; sales2 signs 250.00
    and sales3 (another department) 500.00 on 2 March."""
    users = await user_ids(services)
    async with services.database.writer() as session, session.begin():
        for login, amount in (("sales1", "300.00"), ("sales2", "250.00"), ("sales3", "500.00")):
            customer = await add_customer(session, f"{login} Co", users[login], Pool.PRIVATE)
            order = await add_order(
                session, customer.id, users[login], "Deal", amount=amount,
                signed_on=date(2026, 3, 2),
            )  # fmt: skip
            if login == "sales1":
                session.add(payment(order.id, "120.50", START.replace(day=3)))
        # Written past the services: the statistics' daily sums are computed afresh.
        await session.flush()
        await statistics_rollup.rebuild(session)


async def _exported(
    client: GraphQLClient, services: Services, **arguments: Any
) -> tuple[dict[str, Any], Any]:
    started = (await client.data(EXPORT, **arguments))["result"]
    assert started["__typename"] == "JobSuccess", started
    job = await finished(client, services, started["job"]["id"])
    assert job["state"] == "SUCCEEDED", job
    assert job["subject"] == "report"
    content = await download(client, job["resultUrl"])
    return job, load_workbook(io.BytesIO(content))


def _table(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _as_answered(report: dict[str, Any], ranked: bool) -> list[list[Any]]:
    """The rows a sheet must hold for the query's answer: header aside, one per label, then
    the totals (money and quantities as numbers)."""
    series = report["series"]
    rows = []
    for i, label in enumerate(report["labels"]):
        values = [Decimal(s["values"][i]) for s in series]
        if ranked:
            rows.append([report["ranks"][i], label, *values, "yes" if report["tied"][i] else None])
        else:
            rows.append([label, *values])
    totals = [Decimal(s["total"]) for s in series]
    rows.append([None, "Total", *totals, None] if ranked else ["Total", *totals])
    return rows


def _cells(column: str, last: int) -> str:
    """Rows 2 to ``last`` of a column, as a chart refers to them."""
    return f"${column}$2" if last == 2 else f"${column}$2:${column}${last}"


def _numbers(rows: list[list[Any]]) -> list[list[Any]]:
    return [[Decimal(str(v)) if isinstance(v, int | float) else v for v in row] for row in rows]


async def test_an_export_holds_the_query_answer_for_its_owner_with_a_chart(
    services: Services, manager1: GraphQLClient, gql: GraphQLClient
) -> None:
    await _sales(services)
    await _grant_sales_staff(services, "statistics:view", "statistics:export")
    sales1 = await gql.as_user("sales1")
    metrics = ["DEAL_TOTAL", "PAYMENTS_RECEIVED"]
    arguments = {"by": "USER", "metrics": metrics, **MARCH}
    sizes = {}
    for client in (manager1, sales1):
        answer = (await client.data(QUERIES["STATISTICS"], **arguments))["report"]
        job, book = await _exported(
            client, services, report="STATISTICS", chart="COLUMN", **arguments
        )
        sheet = book["Statistics"]
        table = _table(sheet)
        assert table[0] == ["User", "Deal total (money)", "Payments received (money)"]
        assert _numbers(table[1:]) == _as_answered(answer, ranked=False)
        assert sheet["B2"].number_format == "#,##0.00"
        for header in sheet[1]:  # shown whole, and printed one page wide with the chart
            assert sheet.column_dimensions[header.column_letter].width > len(header.value)
        assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
        assert job["rowsDone"] == len(answer["labels"])
        assert job["resultName"] == "Statistics 2026-03-01 to 2026-03-31.xlsx"
        [chart] = sheet._charts
        assert isinstance(chart, BarChart) and chart.type == "col"
        [title] = [r.t for p in chart.title.tx.rich.p for r in p.r]
        assert title == "Statistics: deal total, payments received by user"
        last = len(answer["labels"]) + 1
        assert [s.val.numRef.f for s in chart.series] == [
            f"'Statistics'!{_cells('B', last)}", f"'Statistics'!{_cells('C', last)}",
        ]  # fmt: skip
        assert [s.tx.strRef.f for s in chart.series] == ["'Statistics'!B1", "'Statistics'!C1"]
        assert chart.series[0].cat.strRef.f == f"'Statistics'!{_cells('A', last)}"
        sizes[client] = answer["labels"]
    # manager1 sees the department (three people), sales1 only themselves.
    assert sizes[manager1] == ["Li Na", "Wang Wei", "Zhang Min"]
    assert sizes[sales1] == ["Wang Wei"]


async def test_each_report_exports_with_its_natural_chart(
    services: Services, manager1: GraphQLClient
) -> None:
    await _sales(services)
    cases: list[tuple[str, dict[str, Any], dict[str, Any], type[Any], str]] = [
        ("LEADERBOARD", {"by": "USER", "metrics": ["DEAL_TOTAL"], **MARCH},
         {"metric": "DEAL_TOTAL"}, BarChart, "bar"),
        ("STATISTICS", {"by": "DAY", "metrics": ["PAYMENTS_RECEIVED"], "from": "2026-03-01",
         "to": "2026-03-05"}, {}, LineChart, ""),
        ("COMBINED", {"by": "DEPARTMENT", **MARCH}, {}, BarChart, "col"),
        ("CUSTOMERS", {"by": "CUSTOMER_KIND"}, {}, PieChart, ""),
    ]  # fmt: skip
    for kind, arguments, extra, chart_type, bar_type in cases:
        variables = {k: v for k, v in arguments.items() if k != "metrics"} | extra
        if kind == "STATISTICS":
            variables["metrics"] = arguments["metrics"]
        answer = (await manager1.data(QUERIES[kind], **variables))["report"]
        _, book = await _exported(manager1, services, report=kind, **arguments)
        sheet = book.worksheets[0]
        ranked = kind == "LEADERBOARD"
        assert _numbers(_table(sheet)[1:]) == _as_answered(answer, ranked), kind
        [chart] = sheet._charts
        assert type(chart) is chart_type, kind
        if bar_type:
            assert chart.type == bar_type
        if chart_type is LineChart:  # no curve through values no bucket has
            assert [s.smooth for s in chart.series] == [False]
        if kind == "LEADERBOARD":  # rank 1 at the top, axes shown
            assert chart.x_axis.scaling.orientation == "maxMin"
            assert chart.x_axis.delete is False and chart.y_axis.delete is False
        if kind == "COMBINED":  # amounts on the chart's axis, counts and units on a second
            assert chart.y_axis.title is not None and chart.y_axis.delete is False
            [_, others] = chart._charts
            assert isinstance(others, LineChart) and others.y_axis.crosses == "max"
            assert others.y_axis.axId != chart.y_axis.axId
            assert [s.tx.strRef.f[-2:] for s in chart.series] == ["D1", "F1"]  # deals, profit
            assert [s.tx.strRef.f[-2:] for s in others.series] == ["B1", "C1", "E1"]
        label_column = "B" if ranked else "A"
        last = len(answer["labels"]) + 1
        assert chart.series[0].cat.strRef.f.endswith(f"!{_cells(label_column, last)}")
    assert book["About"]["B1"].value == "Customer statistics"
    # No order lines: a table with no rows, and nothing to draw.
    _, book = await _exported(manager1, services, report="PRODUCTS", by="PRODUCT", **MARCH)
    sheet = book.worksheets[0]
    assert _table(sheet) == [
        ["Product", "Intent customers (count)", "Quantity (quantity)", "Product sales (money)"],
        ["Total", 0, 0, 0],
    ]
    assert sheet._charts == []
    assert book["About"]["B9"].value == "None: the report has no rows."


async def test_bad_arguments_or_missing_rights_start_no_job(
    services: Services, manager1: GraphQLClient, gql: GraphQLClient
) -> None:
    bad: list[tuple[dict[str, Any], str]] = [
        ({"report": "STATISTICS", "by": "DAY", "from": "2026-03-05", "to": "2026-03-01",
          "metrics": ["DEAL_TOTAL"]}, "to"),
        ({"report": "STATISTICS", "by": "MONTH", **MARCH}, "metrics"),
        ({"report": "STATISTICS", "by": "PRODUCT", "metrics": ["FOLLOW_UPS"], **MARCH}, "by"),
        ({"report": "LEADERBOARD", "by": "DAY", "metrics": ["DEAL_TOTAL"], **MARCH}, "by"),
        ({"report": "LEADERBOARD", "by": "USER", "metrics": ["DEAL_TOTAL", "PROFIT"], **MARCH},
         "metrics"),
        ({"report": "COMBINED", "by": "USER", "metrics": ["PROFIT"], **MARCH}, "metrics"),
        ({"report": "COMBINED", "by": "USER", "from": "2026-03-01"}, "to"),
        ({"report": "CUSTOMERS", "by": "USER"}, "by"),
        ({"report": "CUSTOMERS", "by": "CITY", "filter": {"userId": 1}}, "filter"),
        ({"report": "COMBINED", "by": "USER", "chart": "PIE", **MARCH}, "chart"),
    ]  # fmt: skip
    for arguments, field in bad:
        result = (await manager1.data(EXPORT, **arguments))["result"]
        assert result["__typename"] == "InvalidInputError", (arguments, result)
        assert [p["field"] for p in result["problems"]] == [field], (arguments, result)
    # The report's own right, then the export right.
    sales1 = await gql.as_user("sales1")
    good = {"report": "COMBINED", "by": "USER", **MARCH}
    assert await sales1.error_codes(EXPORT, **good) == ["FORBIDDEN"]
    await _grant_sales_staff(services, "statistics:view")
    assert await sales1.error_codes(EXPORT, **good) == ["FORBIDDEN"]
    assert await count(services, Job) == 0


async def test_a_job_runs_with_its_owners_rights_of_now(services: Services) -> None:
    """A report export queued while its owner could export, run after they lost the right:
    it fails saying why, and writes no file."""
    users = await user_ids(services)
    request = ReportRequest(
        ReportKind.COMBINED, Dimension.USER, date(2026, 3, 1), date(2026, 3, 31)
    )
    async with services.database.writer() as session, session.begin():
        job = Job(
            kind=JobKind.EXPORT, subject=REPORT, owner_id=users["sales1"], state=JobState.QUEUED,
            parameters={**request.stored(), "chart": "column"}, created_at=START,
            updated_at=START,
        )  # fmt: skip
        session.add(job)
    await _grant_sales_staff(services, "statistics:view")  # not statistics:export
    await jobs.run(services, job.id)
    async with services.database.reader() as session:
        ended = await session.get_one(Job, job.id)
    assert (ended.state, ended.result_key) == (JobState.FAILED, None)
    assert ended.message is not None and "statistics:export" in ended.message
