"""collaboration: notifications, messages, approvals, work logs, announcements

Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"


def upgrade() -> None:
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("title_style", sa.JSON(), nullable=False),
        sa.Column(
            "audience",
            sa.Enum(
                "everyone", "departments", "users", name="audience", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("audience_ids", sa.JSON(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_announcements_author_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_announcements_author_id"), ["author_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_announcements_published_at"), ["published_at"], unique=False
        )

    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "leave",
                "business_trip",
                "reimbursement",
                "expense",
                "custom",
                name="approvaltype",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                "withdrawn",
                name="approvalstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("current_step", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["applicant_id"], ["users.id"], name=op.f("fk_approvals_applicant_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
    )
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_approvals_applicant_id"), ["applicant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_approvals_status"), ["status"], unique=False)

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"], name=op.f("fk_messages_sender_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_sender_id_id", ["sender_id", "id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "personal", "system", name="notificationcategory", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link_type", sa.String(length=40), nullable=True),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_user_id_id", ["user_id", "id"], unique=False)
        batch_op.create_index("ix_notifications_user_unread", ["user_id", "read_at"], unique=False)

    op.create_table(
        "work_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("log_date", sa.Date(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_work_logs_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["leader_id"], ["users.id"], name=op.f("fk_work_logs_leader_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_logs")),
    )
    with op.batch_alter_table("work_logs", schema=None) as batch_op:
        batch_op.create_index("ix_work_logs_author_id_id", ["author_id", "id"], unique=False)
        batch_op.create_index("ix_work_logs_leader_id_id", ["leader_id", "id"], unique=False)

    op.create_table(
        "approval_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("approval_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "submit",
                "approve",
                "reject",
                "comment",
                "withdraw",
                name="approvalaction",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_approval_history_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["approval_id"],
            ["approvals.id"],
            name=op.f("fk_approval_history_approval_id_approvals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_history")),
    )
    with op.batch_alter_table("approval_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_approval_history_actor_id"), ["actor_id"], unique=False
        )
        batch_op.create_index(
            "ix_approval_history_approval_id_id", ["approval_id", "id"], unique=False
        )

    op.create_table(
        "approval_steps",
        sa.Column("approval_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("approver_id", sa.Integer(), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "submit",
                "approve",
                "reject",
                "comment",
                "withdraw",
                name="approvalaction",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["approval_id"],
            ["approvals.id"],
            name=op.f("fk_approval_steps_approval_id_approvals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["approver_id"], ["users.id"], name=op.f("fk_approval_steps_approver_id_users")
        ),
        sa.PrimaryKeyConstraint("approval_id", "step", name=op.f("pk_approval_steps")),
    )
    with op.batch_alter_table("approval_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_approval_steps_approver_id"), ["approver_id"], unique=False
        )

    op.create_table(
        "message_recipients",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_recipients_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_message_recipients_user_id_users")
        ),
        sa.PrimaryKeyConstraint("message_id", "user_id", name=op.f("pk_message_recipients")),
    )
    with op.batch_alter_table("message_recipients", schema=None) as batch_op:
        batch_op.create_index(
            "ix_message_recipients_user_message", ["user_id", "message_id"], unique=False
        )

    op.create_table(
        "work_log_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_log_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_work_log_comments_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["work_log_id"],
            ["work_logs.id"],
            name=op.f("fk_work_log_comments_work_log_id_work_logs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_log_comments")),
    )
    with op.batch_alter_table("work_log_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_work_log_comments_author_id"), ["author_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_work_log_comments_work_log_id"), ["work_log_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("work_log_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_log_comments_work_log_id"))
        batch_op.drop_index(batch_op.f("ix_work_log_comments_author_id"))

    op.drop_table("work_log_comments")
    with op.batch_alter_table("message_recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_message_recipients_user_message")

    op.drop_table("message_recipients")
    with op.batch_alter_table("approval_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approval_steps_approver_id"))

    op.drop_table("approval_steps")
    with op.batch_alter_table("approval_history", schema=None) as batch_op:
        batch_op.drop_index("ix_approval_history_approval_id_id")
        batch_op.drop_index(batch_op.f("ix_approval_history_actor_id"))

    op.drop_table("approval_history")
    with op.batch_alter_table("work_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_work_logs_leader_id_id")
        batch_op.drop_index("ix_work_logs_author_id_id")

    op.drop_table("work_logs")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_unread")
        batch_op.drop_index("ix_notifications_user_id_id")

    op.drop_table("notifications")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_sender_id_id")

    op.drop_table("messages")
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approvals_status"))
        batch_op.drop_index(batch_op.f("ix_approvals_applicant_id"))

    op.drop_table("approvals")
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_announcements_published_at"))
        batch_op.drop_index(batch_op.f("ix_announcements_author_id"))

    op.drop_table("announcements")
