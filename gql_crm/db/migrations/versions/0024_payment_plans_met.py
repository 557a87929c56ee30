"""payment plans store whether they are met, so the workbench's receivables read only the
open ones by an index

Create Date: 2026-12-07 03:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"

UNMET = sa.text("NOT met")

# The rule as services/payment.py states it (plans_met_update), for the rows already there:
# payments meet plans in due order, so a plan is met once the order's payments cover it and
# every plan due before it. Rounded to cents because SQLite adds money as floating point.
BACK_FILL = """
UPDATE payment_plans SET met = true
FROM (
    SELECT p.id,
           round(sum(p.amount) OVER (PARTITION BY p.order_id ORDER BY p.due_on, p.id)
                 - coalesce(r.amount, 0), 2) <= 0 AS met
    FROM payment_plans p
    LEFT JOIN (SELECT order_id, sum(amount) AS amount FROM payment_records GROUP BY order_id) r
        ON r.order_id = p.order_id
) flags
WHERE flags.id = payment_plans.id AND flags.met
"""


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite can add one with a constant default): the table is not
    # rebuilt.
    op.add_column(
        "payment_plans", sa.Column("met", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.execute(BACK_FILL)
    op.create_index(
        "ix_payment_plans_unmet",
        "payment_plans",
        ["order_id", "due_on"],
        sqlite_where=UNMET,
        postgresql_where=UNMET,
    )


def downgrade() -> None:
    op.drop_index("ix_payment_plans_unmet", table_name="payment_plans")
    op.drop_column("payment_plans", "met")
