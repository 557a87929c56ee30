"""sums of the order facts statistics read (signed amounts, lines and payments by day,
refunds by moment), filled from the orders already there; indexes for the reports that
still read their records (follow-ups, new customers, intent customers)

Create Date: 2026-12-07 03:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"

KEYS = ("owner_id", "day", "deal_type_id")
SUM = sa.Numeric(18, 2)
LIVE = (
    "o.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM customers c "
    "WHERE c.id = o.customer_id AND c.deleted_at IS NOT NULL)"
)
TYPE = "coalesce(p.type_id, 0)"
WITH_TYPE = "LEFT OUTER JOIN opportunities p ON p.id = o.opportunity_id"
LIVE_CUSTOMER = sa.text("deleted_at IS NULL")


def _keys() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("deal_type_id", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "statistics_order_days",
        *_keys(),
        sa.Column("signed_orders", sa.Integer(), nullable=False),
        sa.Column("signed_amount", SUM, nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("quantity", SUM, nullable=False),
        sa.Column("payments", sa.Integer(), nullable=False),
        sa.Column("received", SUM, nullable=False),
        sa.PrimaryKeyConstraint(*KEYS, name=op.f("pk_statistics_order_days")),
    )
    op.create_table(
        "statistics_product_days",
        *_keys(),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("quantity", SUM, nullable=False),
        sa.Column("amount", SUM, nullable=False),
        sa.PrimaryKeyConstraint(*KEYS, "product_id", name=op.f("pk_statistics_product_days")),
    )
    op.create_table(
        "statistics_refund_sums",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deal_type_id", sa.Integer(), nullable=False),
        sa.Column("refunds", sa.Integer(), nullable=False),
        sa.Column("amount", SUM, nullable=False),
        sa.PrimaryKeyConstraint(
            "owner_id", "refunded_at", "deal_type_id", name=op.f("pk_statistics_refund_sums")
        ),
    )
    # The sums of the orders already there (the same rules as the services' contribution).
    op.execute(f"""
        INSERT INTO statistics_order_days
        SELECT owner_id, day, deal_type_id, sum(n1), sum(v1), sum(n2), sum(v2), sum(n3), sum(v3)
        FROM (
            SELECT o.owner_id, o.signed_on AS day, {TYPE} AS deal_type_id, 1 AS n1,
                   o.amount AS v1, 0 AS n2, 0 AS v2, 0 AS n3, 0 AS v3
            FROM orders o {WITH_TYPE} WHERE {LIVE} AND o.signed_on IS NOT NULL
            UNION ALL
            SELECT o.owner_id, o.signed_on, {TYPE}, 0, 0, 1, l.quantity, 0, 0
            FROM order_lines l JOIN orders o ON o.id = l.order_id {WITH_TYPE}
            WHERE {LIVE} AND o.signed_on IS NOT NULL
            UNION ALL
            SELECT o.owner_id, r.paid_on, {TYPE}, 0, 0, 0, 0, 1, r.amount
            FROM payment_records r JOIN orders o ON o.id = r.order_id {WITH_TYPE}
            WHERE {LIVE}
        ) f
        GROUP BY owner_id, day, deal_type_id""")
    op.execute(f"""
        INSERT INTO statistics_product_days
        SELECT o.owner_id, o.signed_on, {TYPE}, l.product_id, count(*), sum(l.quantity),
               sum(l.amount)
        FROM order_lines l JOIN orders o ON o.id = l.order_id {WITH_TYPE}
        WHERE {LIVE} AND o.signed_on IS NOT NULL
        GROUP BY o.owner_id, o.signed_on, {TYPE}, l.product_id""")
    op.execute(f"""
        INSERT INTO statistics_refund_sums
        SELECT o.owner_id, r.refunded_at, {TYPE}, count(*), sum(r.amount)
        FROM refunds r JOIN orders o ON o.id = r.order_id {WITH_TYPE}
        WHERE {LIVE}
        GROUP BY o.owner_id, r.refunded_at, {TYPE}""")

    op.create_index(
        "ix_follow_ups_author_time",
        "follow_ups",
        ["author_id", "followed_at"],
        postgresql_include=["customer_id"],
    )
    op.create_index(
        "ix_opportunities_owner_created",
        "opportunities",
        ["owner_id", "created_at"],
        postgresql_include=["customer_id", "type_id"],
    )
    op.create_index(
        "ix_customers_creator_live",
        "customers",
        ["created_by_id", "created_at"],
        sqlite_where=LIVE_CUSTOMER,
        postgresql_where=LIVE_CUSTOMER,
    )


def downgrade() -> None:
    op.drop_index("ix_customers_creator_live", table_name="customers")
    op.drop_index("ix_opportunities_owner_created", table_name="opportunities")
    op.drop_index("ix_follow_ups_author_time", table_name="follow_ups")
    op.drop_table("statistics_refund_sums")
    op.drop_table("statistics_product_days")
    op.drop_table("statistics_order_days")
