"""customers, contacts, follow-ups, option lists, form settings

Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"


def upgrade() -> None:
    op.create_table(
        "form_fields",
        sa.Column(
            "form",
            sa.Enum("company", "contact", name="formname", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("shown", sa.Boolean(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("form", "field", name=op.f("pk_form_fields")),
    )
    op.create_table(
        "option_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "list",
            sa.Enum(
                "category",
                "source",
                "status",
                "industry",
                "follow_up_method",
                name="optionlist",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("label", sa.String(length=50), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_option_items")),
        sa.UniqueConstraint("list", "label", name=op.f("uq_option_items_list")),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("enterprise", "individual", name="customerkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("short_name", sa.String(length=100), nullable=True),
        sa.Column("acquired_on", sa.Date(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("status_id", sa.Integer(), nullable=True),
        sa.Column("industry_id", sa.Integer(), nullable=True),
        sa.Column("maturity_id", sa.Integer(), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("website", sa.String(length=200), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column(
            "pool",
            sa.Enum(
                "private",
                "temporary",
                "public",
                "special",
                name="pool",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("pool_entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "temporary_origin",
            sa.Enum("entered", "claimed", name="temporaryorigin", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("last_follow_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_won_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_id"], ["option_items.id"], name=op.f("fk_customers_category_id_option_items")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_customers_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"], ["users.id"], name=op.f("fk_customers_deleted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["industry_id"], ["option_items.id"], name=op.f("fk_customers_industry_id_option_items")
        ),
        sa.ForeignKeyConstraint(
            ["maturity_id"],
            ["maturity_options.id"],
            name=op.f("fk_customers_maturity_id_maturity_options"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_customers_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["option_items.id"], name=op.f("fk_customers_source_id_option_items")
        ),
        sa.ForeignKeyConstraint(
            ["status_id"], ["option_items.id"], name=op.f("fk_customers_status_id_option_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_category_id"), ["category_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_customers_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index("ix_customers_deleted_by", ["deleted_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_industry_id"), ["industry_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_customers_last_follow_up_at"), ["last_follow_up_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_customers_maturity_id"), ["maturity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index("ix_customers_pool_owner", ["pool", "owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_status_id"), ["status_id"], unique=False)

    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("gender", sa.String(length=10), nullable=True),
        sa.Column("mobile", sa.String(length=32), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=True),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_contacts_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacts_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            "uq_contacts_primary",
            ["customer_id"],
            unique=True,
            sqlite_where=sa.text("is_primary"),
            postgresql_where=sa.text("is_primary"),
        )

    op.create_table(
        "customer_bans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "temporary_entered",
                "public_claimed",
                "private_no_contact",
                name="banreason",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_bans_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_customer_bans_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_bans")),
    )
    with op.batch_alter_table("customer_bans", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_bans_customer_user", ["customer_id", "user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_customer_bans_user_id"), ["user_id"], unique=False)

    op.create_table(
        "customer_shares",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("shared_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_shares_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shared_by_id"], ["users.id"], name=op.f("fk_customer_shares_shared_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_customer_shares_user_id_users")
        ),
        sa.PrimaryKeyConstraint("customer_id", "user_id", name=op.f("pk_customer_shares")),
    )
    with op.batch_alter_table("customer_shares", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_shares_shared_by_id"), ["shared_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_customer_shares_user_id"), ["user_id"], unique=False)

    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("method_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("followed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_step", sa.Text(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_follow_ups_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_follow_ups_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_follow_ups_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["method_id"], ["option_items.id"], name=op.f("fk_follow_ups_method_id_option_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
    )
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_ups_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_follow_ups_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(
            "ix_follow_ups_customer_time", ["customer_id", "followed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_follow_ups_method_id"), ["method_id"], unique=False)

    # Quick search (ILIKE '%term%') uses trigram indexes on PostgreSQL; SQLite scans.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_customers_name_trgm",
            "customers",
            ["name"],
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        )
        op.create_index(
            "ix_customers_short_name_trgm",
            "customers",
            ["short_name"],
            postgresql_using="gin",
            postgresql_ops={"short_name": "gin_trgm_ops"},
        )
        op.create_index(
            "ix_contacts_email_trgm",
            "contacts",
            ["email"],
            postgresql_using="gin",
            postgresql_ops={"email": "gin_trgm_ops"},
        )
        op.create_index(
            "ix_contacts_mobile_trgm",
            "contacts",
            ["mobile"],
            postgresql_using="gin",
            postgresql_ops={"mobile": "gin_trgm_ops"},
        )
        op.create_index(
            "ix_contacts_name_trgm",
            "contacts",
            ["name"],
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        )
        op.create_index(
            "ix_contacts_phone_trgm",
            "contacts",
            ["phone"],
            postgresql_using="gin",
            postgresql_ops={"phone": "gin_trgm_ops"},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_customers_name_trgm", table_name="customers")
        op.drop_index("ix_customers_short_name_trgm", table_name="customers")
        op.drop_index("ix_contacts_email_trgm", table_name="contacts")
        op.drop_index("ix_contacts_mobile_trgm", table_name="contacts")
        op.drop_index("ix_contacts_name_trgm", table_name="contacts")
        op.drop_index("ix_contacts_phone_trgm", table_name="contacts")
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_ups_method_id"))
        batch_op.drop_index("ix_follow_ups_customer_time")
        batch_op.drop_index(batch_op.f("ix_follow_ups_contact_id"))
        batch_op.drop_index(batch_op.f("ix_follow_ups_author_id"))

    op.drop_table("follow_ups")
    with op.batch_alter_table("customer_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_shares_user_id"))
        batch_op.drop_index(batch_op.f("ix_customer_shares_shared_by_id"))

    op.drop_table("customer_shares")
    with op.batch_alter_table("customer_bans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_bans_user_id"))
        batch_op.drop_index("ix_customer_bans_customer_user")

    op.drop_table("customer_bans")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_contacts_primary",
            sqlite_where=sa.text("is_primary"),
            postgresql_where=sa.text("is_primary"),
        )
        batch_op.drop_index(batch_op.f("ix_contacts_customer_id"))

    op.drop_table("contacts")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_status_id"))
        batch_op.drop_index(batch_op.f("ix_customers_source_id"))
        batch_op.drop_index("ix_customers_pool_owner")
        batch_op.drop_index(batch_op.f("ix_customers_owner_id"))
        batch_op.drop_index(batch_op.f("ix_customers_maturity_id"))
        batch_op.drop_index(batch_op.f("ix_customers_last_follow_up_at"))
        batch_op.drop_index(batch_op.f("ix_customers_industry_id"))
        batch_op.drop_index("ix_customers_deleted_by")
        batch_op.drop_index(batch_op.f("ix_customers_created_by_id"))
        batch_op.drop_index(batch_op.f("ix_customers_created_at"))
        batch_op.drop_index(batch_op.f("ix_customers_category_id"))

    op.drop_table("customers")
    op.drop_table("option_items")
    op.drop_table("form_fields")
