"""the orders' and customers' owner indexes, and the orders' customer index, carry the ids
(PostgreSQL): the orders a caller may see are narrowed from the indexes alone

Create Date: 2026-12-07 10:00:00.000000
"""

from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"

INDEXES = (
    ("ix_orders_owner_id", "orders", ["owner_id"]),
    ("ix_orders_customer_deleted", "orders", ["customer_id", "deleted_at"]),
    ("ix_customers_owner_id", "customers", ["owner_id"]),
)


def _rebuild(include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no INCLUDE: its indexes stay as they are
    for name, table, columns in INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, postgresql_include=include)


def upgrade() -> None:
    _rebuild(["id"])


def downgrade() -> None:
    _rebuild([])
