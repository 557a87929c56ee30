"""Follow-ups and expenses go to the recycle bin; company settings for the workbench

Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"


def upgrade() -> None:
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("deleted_by_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_follow_ups_deleted_by_id"), ["deleted_by_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_follow_ups_deleted_by_id_users"), "users", ["deleted_by_id"], ["id"]
        )

    with op.batch_alter_table("expenses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("deleted_by_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_expenses_deleted_by_id"), ["deleted_by_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_expenses_deleted_by_id_users"), "users", ["deleted_by_id"], ["id"]
        )

    with op.batch_alter_table("system_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "staff_see_company_sales", sa.Boolean(), server_default=sa.true(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("system_settings", schema=None) as batch_op:
        batch_op.drop_column("staff_see_company_sales")

    with op.batch_alter_table("expenses", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_expenses_deleted_by_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_expenses_deleted_by_id"))
        batch_op.drop_column("deleted_by_id")
        batch_op.drop_column("deleted_at")
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_follow_ups_deleted_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_follow_ups_deleted_by_id"))
        batch_op.drop_column("deleted_by_id")
        batch_op.drop_column("deleted_at")
