"""office tools: documents in folders, shared or public (F6); the knowledge base (F7.5);
the notepad, bookmarks and the work diary (F7.6-F7.8)

Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"


_FTS_ADD = (
    "INSERT INTO fts_knowledge_articles (rowid, title, body) VALUES (new.id, new.title, new.body);"
)
_FTS_REMOVE = "DELETE FROM fts_knowledge_articles WHERE rowid = old.id;"


def upgrade() -> None:
    op.create_table(
        "document_folders",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column(
            "space",
            sa.Enum("private", "public", name="documentspace", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_document_folders_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"], ["users.id"], name=op.f("fk_document_folders_deleted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_document_folders_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["document_folders.id"],
            name=op.f("fk_document_folders_parent_id_document_folders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_folders")),
    )
    with op.batch_alter_table("document_folders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_folders_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_document_folders_deleted_by_id"), ["deleted_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_document_folders_owner_id"), ["owner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_document_folders_parent_id"), ["parent_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_document_folders_path"), ["path"], unique=False)

    op.create_table(
        "document_shares",
        sa.Column("folder_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("can_write", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (department_id IS NULL)",
            name=op.f("ck_document_shares_user_or_department"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_document_shares_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_document_shares_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["folder_id"],
            ["document_folders.id"],
            name=op.f("fk_document_shares_folder_id_document_folders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_document_shares_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_shares")),
    )
    with op.batch_alter_table("document_shares", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_shares_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_document_shares_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_document_shares_folder_id"), ["folder_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_document_shares_user_id"), ["user_id"], unique=False)

    op.create_table(
        "documents",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("folder_id", sa.Integer(), nullable=True),
        sa.Column(
            "space",
            sa.Enum("private", "public", name="documentspace", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_documents_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"], ["users.id"], name=op.f("fk_documents_deleted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["folder_id"],
            ["document_folders.id"],
            name=op.f("fk_documents_folder_id_document_folders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_documents_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_documents_storage_key")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_documents_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_documents_deleted_by_id"), ["deleted_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_documents_folder_id"), ["folder_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "knowledge_categories",
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_knowledge_categories_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["knowledge_categories.id"],
            name=op.f("fk_knowledge_categories_parent_id_knowledge_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_categories")),
    )
    with op.batch_alter_table("knowledge_categories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_knowledge_categories_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_knowledge_categories_parent_id"), ["parent_id"], unique=False
        )

    op.create_table(
        "knowledge_articles",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "published", name="articlestatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["knowledge_categories.id"],
            name=op.f("fk_knowledge_articles_category_id_knowledge_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_knowledge_articles_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"], ["users.id"], name=op.f("fk_knowledge_articles_deleted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_articles")),
    )
    with op.batch_alter_table("knowledge_articles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_knowledge_articles_category_id"), ["category_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_knowledge_articles_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_knowledge_articles_deleted_by_id"), ["deleted_by_id"], unique=False
        )

    op.create_table(
        "bookmarks",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("folder", sa.String(length=100), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_bookmarks_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_bookmarks_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookmarks")),
    )
    with op.batch_alter_table("bookmarks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bookmarks_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_bookmarks_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "diary_entries",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("shared_with_leader", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_diary_entries_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_diary_entries_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diary_entries")),
        sa.UniqueConstraint("owner_id", "entry_date", name=op.f("uq_diary_entries_owner_id")),
    )
    with op.batch_alter_table("diary_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_diary_entries_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_diary_entries_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "notes",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_notes_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_notes_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notes_created_by_id"), ["created_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notes_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "diary_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_diary_comments_author_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["diary_entries.id"],
            name=op.f("fk_diary_comments_entry_id_diary_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diary_comments")),
    )
    with op.batch_alter_table("diary_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_diary_comments_author_id"), ["author_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_diary_comments_entry_id"), ["entry_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        # Searches are ILIKE '%term%' (db/fulltext.py): trigrams serve them, Chinese included.
        for table, column in (
            ("documents", "file_name"),
            ("knowledge_articles", "title"),
            ("knowledge_articles", "body"),
        ):
            op.create_index(
                f"ix_{table}_{column}_trgm",
                table,
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )
    else:
        # SQLite: an FTS5 table with the trigram tokenizer, kept in step by triggers.
        op.execute(
            "CREATE VIRTUAL TABLE fts_knowledge_articles "
            "USING fts5(title, body, tokenize='trigram')"
        )
        for event, body in (
            ("INSERT", _FTS_ADD),
            ("UPDATE", _FTS_REMOVE + _FTS_ADD),
            ("DELETE", _FTS_REMOVE),
        ):
            op.execute(
                f"CREATE TRIGGER fts_knowledge_articles_{event.lower()} AFTER {event} "
                f"ON knowledge_articles BEGIN {body} END"
            )


def downgrade() -> None:
    with op.batch_alter_table("diary_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diary_comments_entry_id"))
        batch_op.drop_index(batch_op.f("ix_diary_comments_author_id"))

    op.drop_table("diary_comments")
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notes_owner_id"))
        batch_op.drop_index(batch_op.f("ix_notes_created_by_id"))

    op.drop_table("notes")
    with op.batch_alter_table("diary_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diary_entries_owner_id"))
        batch_op.drop_index(batch_op.f("ix_diary_entries_created_by_id"))

    op.drop_table("diary_entries")
    with op.batch_alter_table("bookmarks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bookmarks_owner_id"))
        batch_op.drop_index(batch_op.f("ix_bookmarks_created_by_id"))

    op.drop_table("bookmarks")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_knowledge_articles_body_trgm", table_name="knowledge_articles")
        op.drop_index("ix_knowledge_articles_title_trgm", table_name="knowledge_articles")
        op.drop_index("ix_documents_file_name_trgm", table_name="documents")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER fts_knowledge_articles_{event}")
        op.execute("DROP TABLE fts_knowledge_articles")
    op.drop_table("knowledge_articles")
    op.drop_table("knowledge_categories")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_owner_id"))
        batch_op.drop_index(batch_op.f("ix_documents_folder_id"))
        batch_op.drop_index(batch_op.f("ix_documents_deleted_by_id"))
        batch_op.drop_index(batch_op.f("ix_documents_created_by_id"))

    op.drop_table("documents")
    with op.batch_alter_table("document_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_shares_user_id"))
        batch_op.drop_index(batch_op.f("ix_document_shares_folder_id"))
        batch_op.drop_index(batch_op.f("ix_document_shares_department_id"))
        batch_op.drop_index(batch_op.f("ix_document_shares_created_by_id"))

    op.drop_table("document_shares")
    with op.batch_alter_table("document_folders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_folders_path"))
        batch_op.drop_index(batch_op.f("ix_document_folders_parent_id"))
        batch_op.drop_index(batch_op.f("ix_document_folders_owner_id"))
        batch_op.drop_index(batch_op.f("ix_document_folders_deleted_by_id"))
        batch_op.drop_index(batch_op.f("ix_document_folders_created_by_id"))

    op.drop_table("document_folders")
