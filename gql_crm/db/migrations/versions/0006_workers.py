"""workers: daily reports, the release-warning marker, created_at indexes for daily sums

Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"

# The daily report sums each table over one day of created_at (changed_at for stage moves).
_DAY_INDEXES = [
    ("expenses", "created_at"),
    ("follow_ups", "created_at"),
    ("opportunities", "created_at"),
    ("opportunity_changes", "changed_at"),
    ("orders", "created_at"),
    ("payment_records", "created_at"),
]


def upgrade() -> None:
    op.create_table(
        "daily_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("customers_added", sa.Integer(), nullable=False),
        sa.Column("customers_claimed", sa.Integer(), nullable=False),
        sa.Column("customers_released", sa.Integer(), nullable=False),
        sa.Column("customers_transferred", sa.Integer(), nullable=False),
        sa.Column("follow_ups", sa.Integer(), nullable=False),
        sa.Column("follow_ups_by_method", sa.JSON(), nullable=False),
        sa.Column("tasks_completed", sa.Integer(), nullable=False),
        sa.Column("opportunities_created", sa.Integer(), nullable=False),
        sa.Column("opportunity_stage_moves", sa.Integer(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("order_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("payments", sa.Integer(), nullable=False),
        sa.Column("payment_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("expenses", sa.Integer(), nullable=False),
        sa.Column("expense_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_daily_reports_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daily_reports")),
    )
    op.create_index("ix_daily_reports_day_user", "daily_reports", ["day", "user_id"], unique=True)
    op.create_index(op.f("ix_daily_reports_user_id"), "daily_reports", ["user_id"])
    op.add_column(
        "customers", sa.Column("release_warned_for", sa.DateTime(timezone=True), nullable=True)
    )
    for table, column in _DAY_INDEXES:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def downgrade() -> None:
    for table, column in _DAY_INDEXES:
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
    with op.batch_alter_table("customers") as batch_op:
        batch_op.drop_column("release_warned_for")
    op.drop_index(op.f("ix_daily_reports_user_id"), table_name="daily_reports")
    op.drop_index("ix_daily_reports_day_user", table_name="daily_reports")
    op.drop_table("daily_reports")
