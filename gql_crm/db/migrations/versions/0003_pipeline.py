"""pipeline: products, opportunities, orders, payments, expenses

Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"


def upgrade() -> None:
    op.create_table(
        "opportunity_stages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum("open", "won", "lost", name="stageoutcome", native_enum=False, length=8),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_stages")),
        sa.UniqueConstraint("name", name=op.f("uq_opportunity_stages_name")),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("cost", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"], ["option_items.id"], name=op.f("fk_products_category_id_option_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("code", name=op.f("uq_products_code")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_category_id"), ["category_id"], unique=False)

    op.create_table(
        "expenses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("income", "expense", name="expensekind", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("category", sa.String(length=50), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "approved", "rejected", name="expensestatus", native_enum=False),
            nullable=False,
        ),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_expenses_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_expenses_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_expenses_reviewed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expenses")),
    )
    with op.batch_alter_table("expenses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expenses_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_expenses_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_expenses_reviewed_by_id"), ["reviewed_by_id"], unique=False
        )
        batch_op.create_index("ix_expenses_status_owner", ["status", "owner_id"], unique=False)

    op.create_table(
        "opportunities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("expected_sign_date", sa.Date(), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_opportunities_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_opportunities_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_opportunities_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["option_items.id"], name=op.f("fk_opportunities_source_id_option_items")
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["opportunity_stages.id"],
            name=op.f("fk_opportunities_stage_id_opportunity_stages"),
        ),
        sa.ForeignKeyConstraint(
            ["type_id"], ["option_items.id"], name=op.f("fk_opportunities_type_id_option_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunities")),
    )
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opportunities_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_opportunities_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            "ix_opportunities_owner_expected", ["owner_id", "expected_sign_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_opportunities_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_opportunities_stage_id"), ["stage_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_opportunities_type_id"), ["type_id"], unique=False)

    op.create_table(
        "opportunity_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_stage_id", sa.Integer(), nullable=True),
        sa.Column("to_stage_id", sa.Integer(), nullable=False),
        sa.Column("from_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("to_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("from_probability", sa.Integer(), nullable=True),
        sa.Column("to_probability", sa.Integer(), nullable=False),
        sa.Column("from_expected_sign_date", sa.Date(), nullable=True),
        sa.Column("to_expected_sign_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["users.id"], name=op.f("fk_opportunity_changes_changed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["from_stage_id"],
            ["opportunity_stages.id"],
            name=op.f("fk_opportunity_changes_from_stage_id_opportunity_stages"),
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunity_changes_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_stage_id"],
            ["opportunity_stages.id"],
            name=op.f("fk_opportunity_changes_to_stage_id_opportunity_stages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_changes")),
    )
    with op.batch_alter_table("opportunity_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opportunity_changes_changed_by_id"), ["changed_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_opportunity_changes_from_stage_id"), ["from_stage_id"], unique=False
        )
        batch_op.create_index(
            "ix_opportunity_changes_opportunity", ["opportunity_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_opportunity_changes_to_stage_id"), ["to_stage_id"], unique=False
        )

    op.create_table(
        "opportunity_details",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "requirement",
                "solution",
                "quote",
                "competitor",
                name="detailkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_opportunity_details_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunity_details_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_details")),
    )
    with op.batch_alter_table("opportunity_details", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opportunity_details_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            "ix_opportunity_details_opportunity", ["opportunity_id", "kind"], unique=False
        )

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("amount_is_explicit", sa.Boolean(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_orders_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_orders_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"], ["users.id"], name=op.f("fk_orders_deleted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_orders_opportunity_id_opportunities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_orders_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_orders_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            "ix_orders_customer_deleted", ["customer_id", "deleted_at"], unique=False
        )
        batch_op.create_index("ix_orders_deleted_by", ["deleted_by_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_orders_opportunity_id"), ["opportunity_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_orders_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=50), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_invoices_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_invoices_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoices_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_invoices_order_id"), ["order_id"], unique=False)

    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("discount", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_lines_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_order_lines_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_order_lines_order_position", ["order_id", "position"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_order_lines_product_id"), ["product_id"], unique=False)

    op.create_table(
        "payment_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_payment_plans_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_plans")),
    )
    with op.batch_alter_table("payment_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_plans_order_id"), ["order_id"], unique=False)

    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_refunds_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_refunds_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refunds_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_refunds_order_id"), ["order_id"], unique=False)

    op.create_table(
        "delivery_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_delivery_plans_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_plans")),
    )
    with op.batch_alter_table("delivery_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_plans_order_line_id"), ["order_line_id"], unique=False
        )

    op.create_table(
        "payment_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("handler_id", sa.Integer(), nullable=True),
        sa.Column("invoiced", sa.Boolean(), nullable=False),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_payment_records_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["handler_id"], ["users.id"], name=op.f("fk_payment_records_handler_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_payment_records_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["payment_plans.id"],
            name=op.f("fk_payment_records_plan_id_payment_plans"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_records")),
    )
    with op.batch_alter_table("payment_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_records_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payment_records_handler_id"), ["handler_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_payment_records_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_records_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "delivery_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("handler_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["handler_id"], ["users.id"], name=op.f("fk_delivery_records_handler_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_delivery_records_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["delivery_plans.id"],
            name=op.f("fk_delivery_records_plan_id_delivery_plans"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_records")),
    )
    with op.batch_alter_table("delivery_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_records_handler_id"), ["handler_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_delivery_records_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_delivery_records_plan_id"), ["plan_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delivery_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_records_plan_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_records_order_line_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_records_handler_id"))

    op.drop_table("delivery_records")
    with op.batch_alter_table("payment_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_records_plan_id"))
        batch_op.drop_index(batch_op.f("ix_payment_records_order_id"))
        batch_op.drop_index(batch_op.f("ix_payment_records_handler_id"))
        batch_op.drop_index(batch_op.f("ix_payment_records_created_by_id"))

    op.drop_table("payment_records")
    with op.batch_alter_table("delivery_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_plans_order_line_id"))

    op.drop_table("delivery_plans")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_order_id"))
        batch_op.drop_index(batch_op.f("ix_refunds_created_by_id"))

    op.drop_table("refunds")
    with op.batch_alter_table("payment_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_plans_order_id"))

    op.drop_table("payment_plans")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_product_id"))
        batch_op.drop_index("ix_order_lines_order_position")

    op.drop_table("order_lines")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoices_order_id"))
        batch_op.drop_index(batch_op.f("ix_invoices_created_by_id"))

    op.drop_table("invoices")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_owner_id"))
        batch_op.drop_index(batch_op.f("ix_orders_opportunity_id"))
        batch_op.drop_index("ix_orders_deleted_by")
        batch_op.drop_index("ix_orders_customer_deleted")
        batch_op.drop_index(batch_op.f("ix_orders_created_by_id"))

    op.drop_table("orders")
    with op.batch_alter_table("opportunity_details", schema=None) as batch_op:
        batch_op.drop_index("ix_opportunity_details_opportunity")
        batch_op.drop_index(batch_op.f("ix_opportunity_details_created_by_id"))

    op.drop_table("opportunity_details")
    with op.batch_alter_table("opportunity_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opportunity_changes_to_stage_id"))
        batch_op.drop_index("ix_opportunity_changes_opportunity")
        batch_op.drop_index(batch_op.f("ix_opportunity_changes_from_stage_id"))
        batch_op.drop_index(batch_op.f("ix_opportunity_changes_changed_by_id"))

    op.drop_table("opportunity_changes")
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opportunities_type_id"))
        batch_op.drop_index(batch_op.f("ix_opportunities_stage_id"))
        batch_op.drop_index(batch_op.f("ix_opportunities_source_id"))
        batch_op.drop_index("ix_opportunities_owner_expected")
        batch_op.drop_index(batch_op.f("ix_opportunities_customer_id"))
        batch_op.drop_index(batch_op.f("ix_opportunities_created_by_id"))

    op.drop_table("opportunities")
    with op.batch_alter_table("expenses", schema=None) as batch_op:
        batch_op.drop_index("ix_expenses_status_owner")
        batch_op.drop_index(batch_op.f("ix_expenses_reviewed_by_id"))
        batch_op.drop_index(batch_op.f("ix_expenses_owner_id"))
        batch_op.drop_index(batch_op.f("ix_expenses_customer_id"))

    op.drop_table("expenses")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_category_id"))

    op.drop_table("products")
    op.drop_table("opportunity_stages")
