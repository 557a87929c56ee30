"""who bought what, by day, month and year: the buyers by day gain rows for each month and
year, so that a count of distinct buyers over whole months or years reads one row per buyer
and product of each

Create Date: 2026-12-07 11:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"


def _starts() -> dict[str, str]:
    """The SQL of the first day of the month and of the year holding ``day``."""
    if op.get_bind().dialect.name == "postgresql":
        return {
            unit: f"CAST(date_trunc('{unit}', CAST(day AS TIMESTAMP)) AS DATE)"
            for unit in ("month", "year")
        }
    return {unit: f"date(day, 'start of {unit}')" for unit in ("month", "year")}


def upgrade() -> None:
    op.create_table(
        "statistics_buyer_periods",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("deal_type_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "span",
            sa.Enum("day", "month", "year", name="span", native_enum=False, length=5),
            nullable=False,
        ),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "owner_id",
            "span",
            "day",
            "product_id",
            "customer_id",
            "deal_type_id",
            name=op.f("pk_statistics_buyer_periods"),
            postgresql_include=["lines"],
        ),
    )
    op.execute("""
        INSERT INTO statistics_buyer_periods
        SELECT owner_id, day, deal_type_id, product_id, customer_id, 'day', lines
        FROM statistics_buyer_days""")
    for unit, start in _starts().items():
        op.execute(f"""
            INSERT INTO statistics_buyer_periods
            SELECT owner_id, {start}, deal_type_id, product_id, customer_id, '{unit}',
                   sum(lines)
            FROM statistics_buyer_days
            GROUP BY owner_id, {start}, deal_type_id, product_id, customer_id""")
    op.drop_index("ix_statistics_buyer_days_owner_day", table_name="statistics_buyer_days")
    op.drop_table("statistics_buyer_days")


def downgrade() -> None:
    op.create_table(
        "statistics_buyer_days",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("deal_type_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "owner_id",
            "day",
            "deal_type_id",
            "product_id",
            "customer_id",
            name=op.f("pk_statistics_buyer_days"),
        ),
    )
    op.execute("""
        INSERT INTO statistics_buyer_days
        SELECT owner_id, day, deal_type_id, product_id, customer_id, lines
        FROM statistics_buyer_periods WHERE span = 'day'""")
    op.create_index(
        "ix_statistics_buyer_days_owner_day",
        "statistics_buyer_days",
        ["owner_id", "day"],
        postgresql_include=["product_id", "customer_id", "lines"],
    )
    op.drop_table("statistics_buyer_periods")
