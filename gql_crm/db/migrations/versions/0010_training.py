"""training projects, courses and attendees (F3)

Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"


def upgrade() -> None:
    op.create_table(
        "training_projects",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_training_projects_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_training_projects_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_projects")),
    )
    op.create_index(
        op.f("ix_training_projects_created_by_id"),
        "training_projects",
        ["created_by_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_training_projects_owner_id"), "training_projects", ["owner_id"], unique=False
    )
    op.create_table(
        "training_courses",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("lecturer", sa.String(length=100), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_training_courses_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"], ["users.id"], name=op.f("fk_training_courses_deleted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["training_projects.id"],
            name=op.f("fk_training_courses_project_id_training_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_courses")),
    )
    op.create_index(
        op.f("ix_training_courses_created_by_id"),
        "training_courses",
        ["created_by_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_training_courses_deleted_by_id"),
        "training_courses",
        ["deleted_by_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_training_courses_project_id"), "training_courses", ["project_id"], unique=False
    )
    op.create_table(
        "training_attendees",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "registered",
                "attended",
                "absent",
                "cancelled",
                name="attendeestatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_training_attendees_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["training_courses.id"],
            name=op.f("fk_training_attendees_course_id_training_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_training_attendees_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_training_attendees_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_attendees")),
    )
    op.create_index(
        op.f("ix_training_attendees_contact_id"), "training_attendees", ["contact_id"], unique=False
    )
    op.create_index(
        op.f("ix_training_attendees_course_id"), "training_attendees", ["course_id"], unique=False
    )
    op.create_index(
        op.f("ix_training_attendees_created_by_id"),
        "training_attendees",
        ["created_by_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_training_attendees_customer_id"),
        "training_attendees",
        ["customer_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_training_attendees_customer_id"), table_name="training_attendees")
    op.drop_index(op.f("ix_training_attendees_created_by_id"), table_name="training_attendees")
    op.drop_index(op.f("ix_training_attendees_course_id"), table_name="training_attendees")
    op.drop_index(op.f("ix_training_attendees_contact_id"), table_name="training_attendees")
    op.drop_table("training_attendees")
    op.drop_index(op.f("ix_training_courses_project_id"), table_name="training_courses")
    op.drop_index(op.f("ix_training_courses_deleted_by_id"), table_name="training_courses")
    op.drop_index(op.f("ix_training_courses_created_by_id"), table_name="training_courses")
    op.drop_table("training_courses")
    op.drop_index(op.f("ix_training_projects_owner_id"), table_name="training_projects")
    op.drop_index(op.f("ix_training_projects_created_by_id"), table_name="training_projects")
    op.drop_table("training_projects")
