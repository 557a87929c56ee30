"""an owner's live schedules carry their end in the workbench's index: the appointments that
have ended are passed over in the index instead of each being read from the table

Create Date: 2026-12-09 13:00:00.000000
"""

from alembic import op
from sqlalchemy import text

revision: str = "0034"
down_revision: str | None = "0033"


def _index(keys: list[str]) -> None:
    op.drop_index("ix_schedules_workbench", table_name="schedules")
    op.create_index(
        "ix_schedules_workbench",
        "schedules",
        keys,
        sqlite_where=text("deleted_at IS NULL"),
        postgresql_where=text("deleted_at IS NULL"),
    )


def upgrade() -> None:
    _index(["owner_id", "starts_at", "id", "ends_at"])


def downgrade() -> None:
    _index(["owner_id", "starts_at", "id"])
