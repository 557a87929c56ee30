"""an index for the duplicate rule's lookup of live customers by name in any case

Create Date: 2026-12-07 00:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"


def upgrade() -> None:
    op.create_index(
        "ix_customers_live_name",
        "customers",
        [sa.text("lower(name)")],
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_customers_live_name", table_name="customers")
