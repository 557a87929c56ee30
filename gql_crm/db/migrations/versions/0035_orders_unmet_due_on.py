"""orders store the due day of their first payment plan not yet met: the workbench finds a
salesperson's orders with money to collect by index, instead of probing the open plans of
every order they have ever signed

Create Date: 2026-12-10 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"

OPEN_LIVE_ORDER = sa.text("unmet_due_on IS NOT NULL AND deleted_at IS NULL")

# As services/payment.py states it (unmet_due_update), for the orders already there.
BACK_FILL = """
UPDATE orders SET unmet_due_on = (
    SELECT min(due_on) FROM payment_plans WHERE order_id = orders.id AND NOT met
)
"""


def upgrade() -> None:
    op.add_column("orders", sa.Column("unmet_due_on", sa.Date(), nullable=True))
    op.execute(BACK_FILL)
    for key in ("owner", "customer"):
        op.create_index(
            f"ix_orders_unmet_by_{key}",
            "orders",
            [f"{key}_id", "unmet_due_on"],
            sqlite_where=OPEN_LIVE_ORDER,
            postgresql_where=OPEN_LIVE_ORDER,
            postgresql_include=["id"],
        )


def downgrade() -> None:
    for key in ("owner", "customer"):
        op.drop_index(f"ix_orders_unmet_by_{key}", table_name="orders")
    op.drop_column("orders", "unmet_due_on")
