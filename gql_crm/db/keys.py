"""``column IN (:keys)`` for loader batches, in the form each database runs best.

SQLite gets an expanding ``IN (?, ?, …)``. On PostgreSQL that form renders a new statement
text for every batch size (each one prepared again by the driver, and expanded in Python on
every execution); ``column = ANY(:keys)`` with the keys as one array parameter is a single
prepared statement whatever the batch size.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

KEYS = "keys"


class InKeys(ColumnElement[bool]):
    """True where ``column`` is one of the ``keys`` parameter's values (a list)."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column

    @property
    def _from_objects(self) -> list[Any]:
        return self.column._from_objects


@compiles(InKeys)
def _expanding_in(element: InKeys, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column.in_(bindparam(KEYS, expanding=True)), **kw)


@compiles(InKeys, "postgresql")
def _any_array(element: InKeys, compiler: SQLCompiler, **kw: Any) -> str:
    keys = bindparam(KEYS, type_=ARRAY(element.column.type))
    return compiler.process(element.column == any_(keys), **kw)
