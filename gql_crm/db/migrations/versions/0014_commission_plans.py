"""commission plans and their versions

Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"


def upgrade() -> None:
    op.create_table(
        "commission_plans",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("sales", "management", name="commissionkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_commission_plans_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_plans")),
        sa.UniqueConstraint("name", name=op.f("uq_commission_plans_name")),
    )
    with op.batch_alter_table("commission_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commission_plans_created_by_id"), ["created_by_id"], unique=False
        )

    op.create_table(
        "commission_plan_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_commission_plan_versions_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["commission_plans.id"],
            name=op.f("fk_commission_plan_versions_plan_id_commission_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_plan_versions")),
        sa.UniqueConstraint(
            "plan_id", "effective_from", name=op.f("uq_commission_plan_versions_plan_id")
        ),
    )
    with op.batch_alter_table("commission_plan_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commission_plan_versions_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_commission_plan_versions_plan_id"), ["plan_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("commission_plan_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commission_plan_versions_plan_id"))
        batch_op.drop_index(batch_op.f("ix_commission_plan_versions_created_by_id"))

    op.drop_table("commission_plan_versions")
    with op.batch_alter_table("commission_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commission_plans_created_by_id"))

    op.drop_table("commission_plans")
