"""who bought what, by day: the lines of signed orders by owner, day, deal type, product and
customer, filled from the orders already there

Create Date: 2026-12-07 09:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"


def upgrade() -> None:
    op.create_table(
        "statistics_buyer_days",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("deal_type_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "owner_id",
            "day",
            "deal_type_id",
            "product_id",
            "customer_id",
            name=op.f("pk_statistics_buyer_days"),
        ),
    )
    # The same rule as the services' contribution (0025 states it for the other sums).
    op.execute("""
        INSERT INTO statistics_buyer_days
        SELECT o.owner_id, o.signed_on, coalesce(p.type_id, 0), l.product_id, o.customer_id,
               count(*)
        FROM order_lines l JOIN orders o ON o.id = l.order_id
        LEFT OUTER JOIN opportunities p ON p.id = o.opportunity_id
        WHERE o.deleted_at IS NULL AND o.signed_on IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM customers c WHERE c.id = o.customer_id AND c.deleted_at IS NOT NULL)
        GROUP BY o.owner_id, o.signed_on, coalesce(p.type_id, 0), l.product_id, o.customer_id""")
    op.create_index(
        "ix_statistics_buyer_days_owner_day",
        "statistics_buyer_days",
        ["owner_id", "day"],
        postgresql_include=["product_id", "customer_id", "lines"],
    )


def downgrade() -> None:
    op.drop_index("ix_statistics_buyer_days_owner_day", table_name="statistics_buyer_days")
    op.drop_table("statistics_buyer_days")
