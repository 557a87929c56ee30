"""opportunities by last change and payments by day: their lists read a page in their order
from an index instead of joining and sorting every visible row

Create Date: 2026-12-09 12:00:00.000000
"""

from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"


def upgrade() -> None:
    op.create_index("ix_opportunities_updated", "opportunities", ["updated_at", "id"])
    op.create_index("ix_payment_records_paid", "payment_records", ["paid_on", "id"])


def downgrade() -> None:
    op.drop_index("ix_payment_records_paid", table_name="payment_records")
    op.drop_index("ix_opportunities_updated", table_name="opportunities")
