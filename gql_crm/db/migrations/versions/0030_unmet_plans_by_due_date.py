"""the unmet payment plans' index is in due-date order and carries the order (PostgreSQL):
the workbench reads a caller's first receivables from it and tests the order rule on those

Create Date: 2026-12-08 10:00:00.000000
"""

from alembic import op
from sqlalchemy import text

revision: str = "0030"
down_revision: str | None = "0029"


def _index(columns: list[str], include: list[str]) -> None:
    op.drop_index("ix_payment_plans_unmet", table_name="payment_plans")
    op.create_index(
        "ix_payment_plans_unmet",
        "payment_plans",
        columns,
        postgresql_include=include,
        sqlite_where=text("NOT met"),
        postgresql_where=text("NOT met"),
    )


def upgrade() -> None:
    _index(["due_on", "id"], ["order_id"])


def downgrade() -> None:
    _index(["order_id", "due_on"], [])
