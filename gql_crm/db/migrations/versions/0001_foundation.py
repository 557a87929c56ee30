"""foundation: accounts, organisation, positions, settings, operation log

Revision ID: 0001
Revises:
Create Date: 2026-11-22 17:23:15.517955
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["departments.id"],
            name=op.f("fk_departments_parent_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
    )
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_departments_manager_id"), ["manager_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_departments_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "login_throttles",
        sa.Column("login_name", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("login_name", name=op.f("pk_login_throttles")),
    )
    op.create_table(
        "maturity_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=50), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maturity_options")),
        sa.UniqueConstraint("label", name=op.f("uq_maturity_options_label")),
    )
    op.create_table(
        "positions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column(
            "data_scope",
            sa.Enum(
                "own",
                "own_and_subordinates",
                "department",
                "all",
                name="datascope",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
        sa.UniqueConstraint("name", name=op.f("uq_positions_name")),
    )
    op.create_table(
        "system_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("temporary_release_days", sa.Integer(), nullable=False),
        sa.Column("temporary_reclaim_ban_days", sa.Integer(), nullable=False),
        sa.Column("public_claim_ban_days", sa.Integer(), nullable=False),
        sa.Column("private_no_contact_days", sa.Integer(), nullable=False),
        sa.Column("private_pool_cap", sa.Integer(), nullable=False),
        sa.Column("temporary_pool_cap", sa.Integer(), nullable=False),
        sa.Column("release_warning_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_settings")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login_name", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("position_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_users_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["positions.id"],
            name=op.f("fk_users_position_id_positions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("login_name", name=op.f("uq_users_login_name")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_position_id"), ["position_id"], unique=False)

    # departments <-> users reference each other: the manager key comes once both exist.
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_departments_manager_id_users"),
            "users",
            ["manager_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "operation_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_operation_logs_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operation_logs")),
    )
    with op.batch_alter_table("operation_logs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_operation_logs_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_operation_logs_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            "ix_operation_logs_entity", ["entity_type", "entity_id", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("operation_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_operation_logs_entity")
        batch_op.drop_index(batch_op.f("ix_operation_logs_created_at"))
        batch_op.drop_index(batch_op.f("ix_operation_logs_actor_id"))

    op.drop_table("operation_logs")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_position_id"))
        batch_op.drop_index(batch_op.f("ix_users_department_id"))

    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_departments_manager_id_users"), type_="foreignkey")

    op.drop_table("users")
    op.drop_table("system_settings")
    op.drop_table("positions")
    op.drop_table("maturity_options")
    op.drop_table("login_throttles")
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_departments_parent_id"))
        batch_op.drop_index(batch_op.f("ix_departments_manager_id"))

    op.drop_table("departments")
