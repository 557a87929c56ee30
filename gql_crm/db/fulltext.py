"""Full-text search of text columns, in each dialect's own way, Chinese included.

PostgreSQL: ``ILIKE '%term%'`` served by ``pg_trgm`` GIN indexes on the columns (trigrams
need no word boundaries, so Chinese, which has no spaces, is found like any other text).
SQLite: an FTS5 table with the ``trigram`` tokenizer (SQLite 3.34 or later) kept in step with
the table by triggers (``fts_<table>``; see the migration that creates it); terms of three
characters or more are matched through it, shorter ones (a two-character Chinese word) by a
scan with ``LIKE``. Either way a term matches where it occurs in any of the columns, in any
letter case, and every term of a search must match.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, column, false, or_, select, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

FTS_PREFIX = "fts_"  # tables maintained by migrations alone (FTS5 and its shadow tables)


def fts_table(table_name: str) -> str:
    return f"{FTS_PREFIX}{table_name}"


class _Contains(ColumnElement[bool]):
    """One term found in any of ``columns`` of ``model`` (its ``id`` is the FTS rowid)."""

    inherit_cache = False  # holds its term: no statement cache entry for it

    def __init__(self, model: Any, columns: tuple[str, ...], term: str) -> None:
        self.model = model
        self.columns = columns
        self.term = term

    def scan(self) -> ColumnElement[bool]:
        return or_(
            *(getattr(self.model, c).icontains(self.term, autoescape=True) for c in self.columns)
        )


@compiles(_Contains)
def _default(element: _Contains, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.scan().self_group(), **kw)


@compiles(_Contains, "sqlite")
def _sqlite(element: _Contains, compiler: SQLCompiler, **kw: Any) -> str:
    if len(element.term) < 3:  # below a trigram: FTS5 cannot help
        return compiler.process(element.scan().self_group(), **kw)
    name = fts_table(element.model.__tablename__)
    fts = table(name, column("rowid"), column(name))
    phrase = '"' + element.term.replace('"', '""') + '"'
    found = select(fts.c.rowid).where(fts.c[name].op("MATCH")(phrase))
    return compiler.process(element.model.id.in_(found).self_group(), **kw)


def matches(model: Any, columns: tuple[str, ...], search: str) -> ColumnElement[bool]:
    """Rows of ``model`` where every whitespace-separated term of ``search`` occurs in one of
    ``columns``."""
    terms = search.split()
    if not terms:
        return false()
    return and_(*(_Contains(model, columns, term) for term in terms))
