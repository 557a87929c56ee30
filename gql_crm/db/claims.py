"""Rows a statement takes for itself while other transactions may be taking theirs."""

from __future__ import annotations

from typing import TypeVarTuple

from sqlalchemy import CTE, Select

Columns = TypeVarTuple("Columns")


def skipping_locked(rows: Select[*Columns], name: str) -> CTE:
    """``rows`` locked for this transaction, those another one holds skipped, chosen once
    for the statement that uses them (``select(cte)``).

    As a subquery of an UPDATE or DELETE, PostgreSQL may run the locking read again for
    each row it changes (a nested loop, when the table has no statistics yet), and each run
    skips what other transactions locked meanwhile: rows locked by one run and not chosen
    by the next stay locked and untouched, and one statement may take more than its limit.
    A materialized CTE is read once."""
    return (
        rows.with_for_update(skip_locked=True)
        .cte(name)
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
