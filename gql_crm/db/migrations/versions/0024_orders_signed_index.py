"""an index for the month's signed orders (the workbench's sales)

Create Date: 2026-12-07 00:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0021"

LIVE_AND_SIGNED = sa.text("deleted_at IS NULL AND signed_on IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_orders_signed_live",
        "orders",
        ["signed_on"],
        sqlite_where=LIVE_AND_SIGNED,
        postgresql_where=LIVE_AND_SIGNED,
    )


def downgrade() -> None:
    op.drop_index("ix_orders_signed_live", table_name="orders")
