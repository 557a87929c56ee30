"""Groups and their total in one statement, on either dialect.

A count of distinct customers per group does not add up to the distinct count over all the
groups (a customer may fall in several), so a report reads that total too. PostgreSQL
computes both in one pass (``GROUPING SETS``); SQLite has no grouping sets, so there the
rows are a common table expression read twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CompoundSelect, Select, func, literal, null, select, tuple_, union_all


def one_pass(dialect: str) -> bool:
    """Whether ``with_total`` reads its rows once; otherwise give it a CTE."""
    return dialect == "postgresql"


def with_total(
    key: Any, values: list[Any], grouped_from: Any, rows: Any, dialect: str
) -> Select[Any] | CompoundSelect[Any]:
    """``(key, is_total, *values)``: a row per key of ``grouped_from`` (the rows with what
    the key reads joined), then one with ``is_total`` 1 and the values over all ``rows``."""
    if one_pass(dialect):
        return (
            select(key, func.grouping(key), *values)
            .select_from(grouped_from)
            .group_by(func.grouping_sets(tuple_(key), tuple_()))
        )
    grouped = select(key, literal(0), *values).select_from(grouped_from).group_by(key)
    return union_all(grouped, select(null(), literal(1), *values).select_from(rows))
