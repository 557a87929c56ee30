"""Tasks, schedules and follow-ups about an opportunity; the company setting that turns the
opportunity module off; marketing campaigns

Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("campaign_type", sa.String(length=50), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("budget", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("actual_cost", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "running",
                "finished",
                "cancelled",
                name="campaignstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_campaigns_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"], ["users.id"], name=op.f("fk_campaigns_deleted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_campaigns_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    for column in ("created_by_id", "deleted_by_id", "owner_id"):
        op.create_index(op.f(f"ix_campaigns_{column}"), "campaigns", [column])
    op.create_table(
        "campaign_members",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("brought", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_members_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_campaign_members_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_campaign_members_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_campaign_members_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_members")),
    )
    for column in ("campaign_id", "contact_id", "created_by_id", "customer_id"):
        op.create_index(op.f(f"ix_campaign_members_{column}"), "campaign_members", [column])

    with op.batch_alter_table("system_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "opportunities_enabled", sa.Boolean(), server_default=sa.true(), nullable=False
            )
        )

    for table in ("tasks", "schedules", "follow_ups"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("opportunity_id", sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{table}_opportunity_id"), ["opportunity_id"])
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_opportunity_id_opportunities"),
                "opportunities",
                ["opportunity_id"],
                ["id"],
                ondelete="SET NULL",
            )


def downgrade() -> None:
    op.drop_table("campaign_members")
    op.drop_table("campaigns")
    for table in ("tasks", "schedules", "follow_ups"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_opportunity_id_opportunities"), type_="foreignkey"
            )
            batch_op.drop_index(batch_op.f(f"ix_{table}_opportunity_id"))
            batch_op.drop_column("opportunity_id")

    with op.batch_alter_table("system_settings", schema=None) as batch_op:
        batch_op.drop_column("opportunities_enabled")
