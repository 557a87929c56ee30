"""customer records: tasks, schedules, notes, call records, complaints, service records

Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"


def upgrade() -> None:
    op.create_table(
        "call_records",
        sa.Column("caller_number", sa.String(length=50), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("processed", sa.Boolean(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_call_records_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_call_records_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"], ["users.id"], name=op.f("fk_call_records_deleted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_call_records_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_records")),
    )
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_call_records_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_call_records_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_call_records_deleted_by_id"), ["deleted_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_call_records_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "complaints",
        sa.Column("complaint_type", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=True),
        sa.Column("complained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "unhandled",
                "in_progress",
                "resolved",
                name="complaintstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_complaints_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_complaints_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"], ["users.id"], name=op.f("fk_complaints_deleted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_complaints_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaints_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_complaints_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_complaints_deleted_by_id"), ["deleted_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_complaints_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "customer_notes",
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_customer_notes_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_notes_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"], ["users.id"], name=op.f("fk_customer_notes_deleted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_customer_notes_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_notes")),
    )
    with op.batch_alter_table("customer_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_notes_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customer_notes_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customer_notes_deleted_by_id"), ["deleted_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_customer_notes_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "schedules",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_schedules_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_schedules_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"], ["users.id"], name=op.f("fk_schedules_deleted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_schedules_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
    )
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_schedules_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_schedules_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_schedules_deleted_by_id"), ["deleted_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_schedules_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_schedules_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "service_records",
        sa.Column("service_type", sa.String(length=100), nullable=False),
        sa.Column("served_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_service_records_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_service_records_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"], ["users.id"], name=op.f("fk_service_records_deleted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_service_records_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_records")),
    )
    with op.batch_alter_table("service_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_records_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_service_records_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_service_records_deleted_by_id"), ["deleted_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_service_records_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "tasks",
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_tasks_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_tasks_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"], ["users.id"], name=op.f("fk_tasks_deleted_by_id_users")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_tasks_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_created_by_id"), ["created_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_deleted_by_id"), ["deleted_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_owner_id"), ["owner_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_owner_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_due_at"))
        batch_op.drop_index(batch_op.f("ix_tasks_deleted_by_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_customer_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_created_by_id"))

    op.drop_table("tasks")
    with op.batch_alter_table("service_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_records_owner_id"))
        batch_op.drop_index(batch_op.f("ix_service_records_deleted_by_id"))
        batch_op.drop_index(batch_op.f("ix_service_records_customer_id"))
        batch_op.drop_index(batch_op.f("ix_service_records_created_by_id"))

    op.drop_table("service_records")
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedules_starts_at"))
        batch_op.drop_index(batch_op.f("ix_schedules_owner_id"))
        batch_op.drop_index(batch_op.f("ix_schedules_deleted_by_id"))
        batch_op.drop_index(batch_op.f("ix_schedules_customer_id"))
        batch_op.drop_index(batch_op.f("ix_schedules_created_by_id"))

    op.drop_table("schedules")
    with op.batch_alter_table("customer_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_notes_owner_id"))
        batch_op.drop_index(batch_op.f("ix_customer_notes_deleted_by_id"))
        batch_op.drop_index(batch_op.f("ix_customer_notes_customer_id"))
        batch_op.drop_index(batch_op.f("ix_customer_notes_created_by_id"))

    op.drop_table("customer_notes")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaints_owner_id"))
        batch_op.drop_index(batch_op.f("ix_complaints_deleted_by_id"))
        batch_op.drop_index(batch_op.f("ix_complaints_customer_id"))
        batch_op.drop_index(batch_op.f("ix_complaints_created_by_id"))

    op.drop_table("complaints")
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_records_owner_id"))
        batch_op.drop_index(batch_op.f("ix_call_records_deleted_by_id"))
        batch_op.drop_index(batch_op.f("ix_call_records_customer_id"))
        batch_op.drop_index(batch_op.f("ix_call_records_created_by_id"))

    op.drop_table("call_records")
