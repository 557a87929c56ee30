"""webhook endpoints' customer filter, and their previous secret during a rotation

Create Date: 2026-12-06 21:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.add_column(sa.Column("customer_filter", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("previous_secret", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("secret_rotated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.drop_column("secret_rotated_at")
        batch.drop_column("previous_secret")
        batch.drop_column("customer_filter")
