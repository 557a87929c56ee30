"""Declarative base and column types shared by every model."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import DateTime, Enum, ForeignKey, Index, MetaData, Numeric, Table, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every dialect.

    SQLite has no timezone-aware type, so values are stored as naive UTC there and given
    their zone back on the way out; PostgreSQL uses ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass a timezone-aware value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def reference(table: str, on_delete: str | None = None) -> Any:
    """An indexed column holding the id of a row of ``table``; ``on_delete`` is what the
    database does to it when that row is deleted (``CASCADE``, ``SET NULL``)."""
    return mapped_column(ForeignKey(f"{table}.id", ondelete=on_delete), index=True)


def str_enum(cls: type[enum.StrEnum], length: int) -> Enum:
    """A StrEnum stored as its values in a VARCHAR (no native enum type to migrate)."""
    return Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


def trigram_indexes(table: str, *columns: str) -> list[Index]:
    """GIN trigram indexes so that ILIKE '%term%' search avoids a sequential scan.

    They only exist on PostgreSQL (``pg_trgm``); SQLite scans, which is fine at its scale.
    """
    return [
        Index(
            f"ix_{table}_{column}_trgm",
            column,
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql")
        for column in columns
    ]


EXPRESSION_INDEXES: dict[str, Index] = {}


def expression_index(name: str, expression: str, where: str | None = None) -> Index:
    """An index on an expression (``lower(name)``), partial when ``where`` is given, on
    PostgreSQL and SQLite alike. SQLite's reflection cannot read such an index, so alembic's
    comparison skips it there (with a warning): the migrations' test compares it by its SQL
    instead (``EXPRESSION_INDEXES``)."""
    condition: dict[str, Any] = {}
    if where is not None:
        condition = {f"{dialect}_where": text(where) for dialect in _DIALECTS}
    index = Index(name, text(expression), **condition)
    EXPRESSION_INDEXES[name] = index
    return index


_DIALECTS = ("postgresql", "sqlite")


def exists_on(obj: object, dialect: str) -> bool:
    """Whether a schema object made with ``ddl_if(dialect=...)`` exists on ``dialect``.

    Alembic's comparison does not read ``ddl_if``; migrations and their test ask this.
    """
    if str(getattr(obj, "name", "") or "").startswith("fts_"):
        return False  # full-text tables (db/fulltext.py): made and kept by migrations alone
    condition = getattr(obj, "_ddl_if", None)
    return condition is None or condition.dialect in (None, dialect)


Money = Numeric(14, 2, asdecimal=True)
"""Money column type: Decimal with two places, never float."""

ZERO = Decimal("0.00")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class Record:
    """Columns of a record written through the services: its id, author and stamps."""

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Binnable(Record):
    """A record that goes to its deleter's recycle bin (``services/recycle_bin.py``)."""

    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)


def core_table(model: type[Base]) -> Table:
    """The model's Table, for Core multi-row INSERTs (no ORM bookkeeping per row)."""
    return cast(Table, model.__table__)
