"""indexes for reads: the month's signed orders (the workbench's sales), binned customers
(which statistics leave out)

Create Date: 2026-12-07 00:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"

LIVE_AND_SIGNED = sa.text("deleted_at IS NULL AND signed_on IS NOT NULL")
BINNED = sa.text("deleted_at IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_orders_signed_live",
        "orders",
        ["signed_on"],
        sqlite_where=LIVE_AND_SIGNED,
        postgresql_where=LIVE_AND_SIGNED,
    )
    op.create_index(
        "ix_customers_binned", "customers", ["id"], sqlite_where=BINNED, postgresql_where=BINNED
    )


def downgrade() -> None:
    op.drop_index("ix_customers_binned", table_name="customers")
    op.drop_index("ix_orders_signed_live", table_name="orders")
