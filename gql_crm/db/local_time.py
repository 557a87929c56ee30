"""The company day of a timestamp, in SQL on either dialect.

Reports group records by the day they happened in the company's time zone. PostgreSQL
converts with the zone itself; SQLite knows no zones, so the expression applies the UTC
offsets the zone has over the report's range (one per daylight-saving segment).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, String, bindparam, case, cast, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


def offsets(timezone: str, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """``[(from, minutes east of UTC)]``: the zone's offsets over [start, end), each from the
    UTC instant it begins (the first from ``start``)."""
    zone = ZoneInfo(timezone)

    def minutes(at: datetime) -> int:
        offset = at.astimezone(zone).utcoffset()
        return int(offset.total_seconds() // 60) if offset else 0

    segments = [(start, minutes(start))]
    hour = timedelta(hours=1)
    at = start.replace(minute=0, second=0, microsecond=0)
    while at < end:  # hourly: zones change their offset on the hour (or the half hour)
        nxt = at + hour
        if minutes(nxt) != segments[-1][1]:
            low, high = at, nxt
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if minutes(middle) == segments[-1][1] else (low, middle)
            segments.append((high.replace(second=0, microsecond=0), minutes(high)))
        at = nxt
    return segments


def local_day(
    column: Any, timezone: str, start: datetime, end: datetime, dialect: str
) -> ColumnElement[str]:
    """``YYYY-MM-DD`` of a UTC timestamp column in ``timezone``, for rows within [start, end)
    (the SQLite form applies the offsets of that range only). Zone and offsets are bound
    parameters, so the statement is compiled once and cached."""
    if dialect == "postgresql":
        local = func.timezone(bindparam(None, timezone, String()), column)
        # A date as text, as ``day_text`` reads one: to_char costs about twice as much, which
        # shows on a year of follow-ups.
        return day_text(cast(local, Date()))

    def shifted(minutes: int) -> ColumnElement[str]:
        return func.strftime("%Y-%m-%d", column, f"{minutes:+d} minutes")

    segments = offsets(timezone, start, end)
    *earlier, (_, last) = segments
    if not earlier:
        return shifted(last)
    whens = [
        (column < until, shifted(minutes))
        for (_, minutes), (until, _) in zip(earlier, segments[1:], strict=True)
    ]
    return case(*whens, else_=shifted(last))


def day_text(column: Any) -> ColumnElement[str]:
    """``YYYY-MM-DD`` of a DATE column (already a company day)."""
    return cast(column, String())


class PeriodStart(ColumnElement[date]):
    """The first day of the month or year (``unit``) holding the DATE ``day``."""

    inherit_cache = True
    type = Date()
    _traverse_internals = [
        ("day", InternalTraversal.dp_clauseelement),
        ("unit", InternalTraversal.dp_string),
    ]

    def __init__(self, unit: str, day: Any) -> None:
        assert unit in ("month", "year"), unit  # written into the statement's text
        self.unit = unit
        self.day = day

    @property
    def _from_objects(self) -> list[Any]:
        tables: list[Any] = self.day._from_objects
        return tables


@compiles(PeriodStart)
def _sqlite_period_start(element: PeriodStart, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.day, **kw)}, 'start of {element.unit}')"


@compiles(PeriodStart, "postgresql")
def _pg_period_start(element: PeriodStart, compiler: SQLCompiler, **kw: Any) -> str:
    day = compiler.process(element.day, **kw)
    return f"CAST(date_trunc('{element.unit}', CAST({day} AS TIMESTAMP)) AS DATE)"


def day_bounds(first: date, last: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC instants where company day ``first`` starts and the day after ``last`` starts."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(first, time(), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end


# PostgreSQL forms of the same, for statements prepared once and run at any time (compiled
# reads): the time and the zone are SQL there, not values.


def pg_company_day(now: ColumnElement[Any], timezone: ColumnElement[Any]) -> ColumnElement[Any]:
    """The company day of the timestamptz ``now`` in ``timezone`` (a date)."""
    return cast(func.timezone(timezone, now), Date)


def pg_days(days: int | ColumnElement[Any]) -> ColumnElement[Any]:
    """An interval of ``days`` days of 24 hours, as Python's ``timedelta`` counts them: an
    interval of days would follow the session's time zone over a daylight-saving change."""
    hours = (literal(days) if isinstance(days, int) else days) * 24
    return func.make_interval(0, 0, 0, 0, hours)
