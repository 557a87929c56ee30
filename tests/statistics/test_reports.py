"""Every report equals the figures recomputed in Python from the rows the caller may see:
every metric by every dimension it has, as an administrator, a manager and a salesperson,
in a zone without daylight saving and in one with it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import update

from gql_crm.db.models import SystemSettings
from gql_crm.db.models.statistics import Span
from gql_crm.services import statistics as service
from gql_crm.services.statistics import PRODUCT_METRICS, Dimension, Metric, Report
from gql_crm.services.unit_of_work import Services
from tests.fixtures.users import principal
from tests.statistics.world import FIRST, LAST, Oracle, populate

ALL_TIME = (Dimension.DAY, Dimension.MONTH, Dimension.YEAR)
PEOPLE = (Dimension.USER, Dimension.DEPARTMENT)
REPORTED = [m for m in Metric if m is not Metric.CUSTOMERS]


def _dimensions(metric: Metric) -> list[Dimension]:
    found = [*ALL_TIME, *PEOPLE, Dimension.CUSTOMER_SOURCE, Dimension.CITY, Dimension.DEAL_TYPE]
    if metric in PRODUCT_METRICS:
        found += [Dimension.PRODUCT, Dimension.PRODUCT_CATEGORY]
    return found


def _assert_equal(report: Report, expected: dict[str, Decimal], total: Decimal) -> None:
    [series] = report.series
    got = dict(zip(report.keys, series.values, strict=True))
    assert len(got) == len(report.keys), "a key is listed twice"
    for key, value in expected.items():
        assert got.get(key) == value, (report.dimension, series.metric, key, got.get(key), value)
    for key, value in got.items():
        if key not in expected:
            assert value == 0, (report.dimension, series.metric, key, value)
    assert series.total == total, (report.dimension, series.metric)


@pytest.fixture
async def world(services: Services) -> Services:
    async with services.database.writer() as session, session.begin():
        await populate(session)
    return services


@pytest.mark.parametrize("timezone", ["Asia/Shanghai", "America/New_York"])
@pytest.mark.parametrize("login", ["admin", "manager1", "sales1"])
async def test_every_report_equals_the_recomputation(
    world: Services, timezone: str, login: str
) -> None:
    async with world.database.writer() as session, session.begin():
        await session.execute(update(SystemSettings).values(timezone=timezone))
    caller = await principal(world, login)
    # Across the start of daylight saving in New York (8 March).
    first, last = date(2026, 1, 1), date(2026, 6, 30)
    async with world.database.reader() as session:
        oracle = await Oracle.load(session, caller, timezone)
        checked = 0
        for metric in REPORTED:
            for dimension in _dimensions(metric):
                report = await service.report(session, caller, [metric], dimension, first, last)
                expected, total = oracle.figures(metric, dimension, first, last)
                _assert_equal(report, expected, total)
                checked += 1
                if dimension in ALL_TIME:
                    assert report.keys == service.buckets(dimension, first, last)
                if dimension is Dimension.USER:
                    per_person = sum(report.series[0].values, Decimal(0))
                    if metric not in service.DISTINCT:
                        assert per_person == report.series[0].total
        assert checked > 100


def test_a_range_splits_into_whole_years_months_and_days() -> None:
    year, month, day = Span.YEAR, Span.MONTH, Span.DAY
    assert service.periods(date(2026, 1, 1), date(2026, 12, 31), year) == [
        (year, date(2026, 1, 1), date(2026, 1, 1))
    ]
    assert service.periods(date(2025, 11, 20), date(2027, 2, 3), year) == [
        (day, date(2025, 11, 20), date(2025, 11, 30)),
        (month, date(2025, 12, 1), date(2025, 12, 1)),
        (year, date(2026, 1, 1), date(2026, 1, 1)),
        (month, date(2027, 1, 1), date(2027, 1, 1)),
        (day, date(2027, 2, 1), date(2027, 2, 3)),
    ]
    assert service.periods(date(2026, 1, 15), date(2026, 5, 31), month) == [
        (day, date(2026, 1, 15), date(2026, 1, 31)),
        (month, date(2026, 2, 1), date(2026, 5, 1)),
    ]
    # Within one month: days only, whatever the coarsest span allowed.
    assert service.periods(date(2024, 2, 2), date(2024, 2, 29), year) == [
        (day, date(2024, 2, 2), date(2024, 2, 29))
    ]
    assert service.periods(date(2026, 3, 1), date(2026, 3, 31), day) == [
        (day, date(2026, 3, 1), date(2026, 3, 31))
    ]


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2025, 12, 20), date(2026, 12, 31)),
        (date(2026, 1, 15), date(2026, 5, 10)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2025, 1, 1), date(2026, 12, 31)),
    ],
)
async def test_buyers_over_whole_and_partial_periods_equal_the_recomputation(
    world: Services, first: date, last: date
) -> None:
    """Buyers are counted from rows per day, month and year (a range's whole years and
    months read those): every way a range splits gives the same distinct buyers."""
    caller = await principal(world, "manager1")
    async with world.database.reader() as session:
        oracle = await Oracle.load(session, caller, "Asia/Shanghai")
        dimensions = [Dimension.PRODUCT, Dimension.YEAR, Dimension.MONTH, Dimension.USER]
        if (last - first).days < 200:
            dimensions.append(Dimension.DAY)
        for dimension in dimensions:
            metric = Metric.PRODUCT_CUSTOMERS
            report = await service.report(session, caller, [metric], dimension, first, last)
            _assert_equal(report, *oracle.figures(metric, dimension, first, last))


async def test_scope_and_deal_type_filter(world: Services) -> None:
    async with world.database.reader() as session:
        sales1 = await principal(world, "sales1")
        manager1 = await principal(world, "manager1")
        mine = await service.report(
            session, sales1, [Metric.DEAL_TOTAL], Dimension.USER, FIRST, LAST
        )
        assert mine.keys == [str(sales1.user_id)]
        team = await service.report(
            session, manager1, [Metric.DEAL_TOTAL], Dimension.USER, FIRST, LAST
        )
        assert manager1.visible_owner_ids is not None
        assert set(team.keys) == {str(u) for u in manager1.visible_owner_ids}
        oracle = await Oracle.load(session, manager1, "Asia/Shanghai")
        deal_type = next(o.type_id for o in oracle.rows["opportunities"] if o.type_id)
        narrowed = service.Filters(deal_type_id=deal_type)
        for metric in (Metric.DEAL_TOTAL, Metric.NEW_CUSTOMERS, Metric.QUANTITY):
            report = await service.report(
                session, manager1, [metric], Dimension.MONTH, FIRST, LAST, narrowed
            )
            _assert_equal(report, *oracle.figures(metric, Dimension.MONTH, FIRST, LAST, deal_type))


@pytest.mark.parametrize("login", ["admin", "manager1"])
async def test_metrics_read_together_equal_the_recomputation(world: Services, login: str) -> None:
    """Metrics of one source (the orders: deals, profit, lines, payments, refunds) are read
    by one statement, a column each: each series still equals its own recomputation."""
    caller = await principal(world, login)
    async with world.database.reader() as session:
        oracle = await Oracle.load(session, caller, "Asia/Shanghai")
        for dimension in (Dimension.MONTH, Dimension.USER, Dimension.DEAL_TYPE, Dimension.CITY,
                          Dimension.PRODUCT_CATEGORY):  # fmt: skip
            metrics = [m for m in REPORTED if dimension in _dimensions(m)]
            deal_type = next(o.type_id for o in oracle.rows["opportunities"] if o.type_id)
            for narrowed in (None, deal_type):
                report = await service.report(
                    session, caller, metrics, dimension, FIRST, LAST,
                    service.Filters(deal_type_id=narrowed),
                )  # fmt: skip
                assert [s.metric for s in report.series] == metrics
                for series in report.series:
                    alone = Report(
                        report.dimension, FIRST, LAST, report.timezone, report.keys,
                        report.labels, [series],
                    )  # fmt: skip
                    expected = oracle.figures(series.metric, dimension, FIRST, LAST, narrowed)
                    _assert_equal(alone, *expected)
