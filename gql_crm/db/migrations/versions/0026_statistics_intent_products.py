"""the intent facts statistics read (each opportunity with the products its live orders
name), filled from the opportunities and orders already there

Create Date: 2026-12-07 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"


def upgrade() -> None:
    op.create_table(
        "statistics_intent_products",
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_statistics_intent_products_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "opportunity_id", "product_id", name=op.f("pk_statistics_intent_products")
        ),
    )
    # The same rule as the services' ``intent_facts``.
    op.execute("""
        INSERT INTO statistics_intent_products
        SELECT DISTINCT p.id, coalesce(l.product_id, 0), p.owner_id, p.created_at, p.customer_id
        FROM opportunities p
        LEFT OUTER JOIN (orders o JOIN order_lines l ON l.order_id = o.id)
            ON o.opportunity_id = p.id AND o.deleted_at IS NULL""")
    op.create_index(
        "ix_statistics_intent_products_owner_created",
        "statistics_intent_products",
        ["owner_id", "created_at"],
        postgresql_include=["product_id", "customer_id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_statistics_intent_products_owner_created", table_name="statistics_intent_products"
    )
    op.drop_table("statistics_intent_products")
