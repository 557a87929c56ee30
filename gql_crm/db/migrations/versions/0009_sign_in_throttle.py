"""sign-in throttle per login name and client

Create Date: 2026-11-23

The old per-login-name counts are dropped rather than carried over: they only say how many
failures happened in the last minutes, and keeping them would keep today's lockouts.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"


def upgrade() -> None:
    op.drop_table("login_throttles")
    op.create_table(
        "login_throttles",
        sa.Column("login_name", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("login_name", "client", name=op.f("pk_login_throttles")),
    )
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_throttles_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("login_throttles")
    op.create_table(
        "login_throttles",
        sa.Column("login_name", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("login_name", name=op.f("pk_login_throttles")),
    )
