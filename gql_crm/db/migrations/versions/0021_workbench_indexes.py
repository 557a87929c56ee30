"""indexes for the workbench's lists: an owner's live tasks, schedules, calls and complaints

Create Date: 2026-12-06 23:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"

# table, the workbench's order, what is still pending (as in models/customer_record.py)
INDEXES = [
    ("tasks", "due_at", "done IS false"),
    ("schedules", "starts_at", ""),
    ("call_records", "called_at", "processed IS false"),
    ("complaints", "complained_at", ""),
]


def upgrade() -> None:
    for table, order, pending in INDEXES:
        where = sa.text("deleted_at IS NULL" + (f" AND {pending}" if pending else ""))
        op.create_index(
            f"ix_{table}_workbench",
            table,
            ["owner_id", order, "id"],
            sqlite_where=where,
            postgresql_where=where,
        )


def downgrade() -> None:
    for table, _order, _pending in INDEXES:
        op.drop_index(f"ix_{table}_workbench", table_name=table)
