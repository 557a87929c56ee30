"""the live follow-ups by time: the follow-ups list reads a page, newest first, from an index
instead of joining and sorting every live follow-up

Create Date: 2026-12-09 11:00:00.000000
"""

from alembic import op
from sqlalchemy import text

revision: str = "0032"
down_revision: str | None = "0031"


def upgrade() -> None:
    op.create_index(
        "ix_follow_ups_live_time",
        "follow_ups",
        ["followed_at", "id"],
        sqlite_where=text("deleted_at IS NULL"),
        postgresql_where=text("deleted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_follow_ups_live_time", table_name="follow_ups")
