"""``ARRAY(SELECT …)``: the rows of a one-column statement as a PostgreSQL array."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select
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
