"""the unmet payment plans by order: the workbench finds the open plans of a caller who sees
only some orders by probing them order by order, instead of reading every open plan

Create Date: 2026-12-09 10:00:00.000000
"""

from alembic import op
from sqlalchemy import text

revision: str = "0031"
down_revision: str | None = "0030"


def upgrade() -> None:
    op.create_index(
        "ix_payment_plans_unmet_by_order",
        "payment_plans",
        ["order_id", "due_on", "id"],
        sqlite_where=text("NOT met"),
        postgresql_where=text("NOT met"),
    )


def downgrade() -> None:
    op.drop_index("ix_payment_plans_unmet_by_order", table_name="payment_plans")
