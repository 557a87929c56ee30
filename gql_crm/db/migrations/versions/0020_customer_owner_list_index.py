"""an index for an owner's customer list in its order, and its count

Create Date: 2026-12-06 22:55:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"


def upgrade() -> None:
    op.create_index(
        "ix_customers_owner_live",
        "customers",
        ["owner_id", "created_at", "id"],
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_customers_owner_live", table_name="customers")
