"""``ARRAY(SELECT …)``: the rows of a one-column statement as a PostgreSQL array, and a column
looked up in one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, CompoundSelect, Select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal


class ArrayOf(ColumnElement[Any]):
    """The values ``rows`` selects, in the order it gives them, read once where it stands
    (an uncorrelated one once per statement)."""

    inherit_cache = True
    _traverse_internals = [("rows", InternalTraversal.dp_clauseelement)]

    def __init__(self, rows: Select[Any] | CompoundSelect[Any]) -> None:
        self.rows = rows

    @property
    def _from_objects(self) -> list[Any]:
        return []


@compiles(ArrayOf, "postgresql")
def _array_of(element: ArrayOf, compiler: SQLCompiler, **kw: Any) -> str:
    return f"ARRAY{compiler.process(element.rows.scalar_subquery(), **kw)}"


class Among(ColumnElement[bool]):
    """``column`` is one of the ids ``ids`` selects. PostgreSQL gets ``= ANY(ARRAY(SELECT …))``:
    the ids are read once per statement, even where the rule is checked for each row of a
    correlated subquery, and each row is then looked up in that array (an ``IN (SELECT …)``
    there is re-hashed per row, an ``EXISTS`` probes the index per row); and an index that
    leads with ``column`` is probed once per id instead of the table being hashed. SQLite gets
    the ``IN``, which it reads once."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], ids: Select[Any] | CompoundSelect[Any]) -> None:
        self.column = column
        self.ids = ids

    @property
    def _from_objects(self) -> list[Any]:
        return self.column._from_objects


@compiles(Among)
def _in_ids(element: Among, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column.in_(element.ids), **kw)


@compiles(Among, "postgresql")
def _any_of_ids(element: Among, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} = ANY({compiler.process(ArrayOf(element.ids), **kw)})"
