"""Every foreign key is the leading part of an index, so that deleting (or cascading from) a
referenced row and joining from the parent never scan the child table."""

from __future__ import annotations

import pytest
from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    text,
)

from gql_crm.db.base import Base, exists_on
from gql_crm.db.engine import Database
from gql_crm.settings import Settings


def _serves_lookups(index: Index) -> bool:
    """A plain B-tree index on both dialects: a partial index only covers some rows, a GIN
    (trigram) index does not answer equality on the column, and a PostgreSQL-only index is
    missing on SQLite."""
    partial = any(
        index.dialect_options[d].get("where") is not None for d in ("postgresql", "sqlite")
    )
    using = index.dialect_options["postgresql"].get("using")
    return (
        not partial
        and using in (None, False, "btree")
        and exists_on(index, "postgresql")
        and exists_on(index, "sqlite")
    )


def unindexed_foreign_keys(metadata: MetaData) -> list[str]:
    """``table(columns) -> referred table`` for each foreign key whose columns are not the
    leading columns (in any order) of an index, the primary key or a unique constraint."""
    missing = []
    for table in metadata.sorted_tables:
        leading: list[list[str]] = [
            [column.name for column in index.columns]
            for index in table.indexes
            if _serves_lookups(index)
        ]
        leading += [
            [column.name for column in constraint.columns]
            for constraint in table.constraints
            if isinstance(constraint, PrimaryKeyConstraint | UniqueConstraint)
        ]
        for key in table.foreign_key_constraints:
            columns = {column.name for column in key.columns}
            if not any(set(names[: len(columns)]) == columns for names in leading):
                missing.append(
                    f"{table.name}({', '.join(sorted(columns))}) -> {key.referred_table.name}"
                )
    return sorted(missing)


def test_every_foreign_key_leads_an_index() -> None:
    assert unindexed_foreign_keys(Base.metadata) == []


def test_the_check_finds_what_it_should() -> None:
    """The test above would pass on an empty list too: show that it tells the cases apart."""
    metadata = MetaData()
    Table("parents", metadata, Column("id", Integer, primary_key=True))
    Table(
        "children",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("bare_id", ForeignKey("parents.id")),  # no index at all
        Column("second_id", ForeignKey("parents.id")),  # only second in an index
        Column("partial_id", ForeignKey("parents.id")),  # only a partial index
        Column("gin_id", ForeignKey("parents.id")),  # only a GIN index
        Column("pg_only_id", ForeignKey("parents.id")),  # only an index on PostgreSQL
        Column("indexed_id", ForeignKey("parents.id"), index=True),
        Column("leading_id", ForeignKey("parents.id")),
        Column("unique_id", ForeignKey("parents.id"), unique=True),
        Index("ix_children_leading", "leading_id", "second_id"),
        Index("ix_children_partial", "partial_id", postgresql_where=text("id > 0")),
        Index("ix_children_gin", "gin_id", postgresql_using="gin"),
        Index("ix_children_pg", "pg_only_id").ddl_if(dialect="postgresql"),
    )
    Table(
        "links",
        metadata,
        Column("parent_id", ForeignKey("parents.id"), primary_key=True),
        Column("other_id", ForeignKey("parents.id"), primary_key=True),
    )
    assert unindexed_foreign_keys(metadata) == [
        "children(bare_id) -> parents",
        "children(gin_id) -> parents",
        "children(partial_id) -> parents",
        "children(pg_only_id) -> parents",
        "children(second_id) -> parents",
        "links(other_id) -> parents",
    ]


# Foreign keys of the migrated database whose columns lead no complete, valid B-tree index.
_UNINDEXED_SQL = """
SELECT c.conrelid::regclass::text || '(' || c.conname || ')'
FROM pg_constraint c
WHERE c.contype = 'f'
  AND NOT EXISTS (
    SELECT 1 FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'btree'
    WHERE i.indrelid = c.conrelid AND i.indpred IS NULL AND i.indisvalid
      AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
      AND c.conkey @> (i.indkey::int2[])[0:cardinality(c.conkey) - 1]
  )
ORDER BY 1
"""


@pytest.mark.postgres
async def test_the_migrated_database_indexes_every_foreign_key(
    settings: Settings, migrated: None
) -> None:
    """The same rule read from the catalog of the schema the migrations built."""
    database = Database(settings)
    try:
        if database.dialect != "postgresql":
            pytest.skip("reads the PostgreSQL catalog")
        async with database.engine.connect() as connection:
            assert list((await connection.execute(text(_UNINDEXED_SQL))).scalars()) == []
            keys = await connection.scalar(
                text("SELECT count(*) FROM pg_constraint WHERE contype = 'f'")
            )
        assert keys == sum(len(t.foreign_key_constraints) for t in Base.metadata.sorted_tables)
    finally:
        await database.dispose()
