"""The company setting that says which of a customer's name, its contacts' phone numbers and
e-mails make two customers the same (imports and the customer mutations refuse duplicates)

Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"

_COLUMNS = {
    "duplicate_customers_by_name": sa.true(),
    "duplicate_customers_by_phone": sa.false(),
    "duplicate_customers_by_email": sa.false(),
}


def upgrade() -> None:
    with op.batch_alter_table("system_settings", schema=None) as batch_op:
        for name, default in _COLUMNS.items():
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), server_default=default, nullable=False)
            )


def downgrade() -> None:
    with op.batch_alter_table("system_settings", schema=None) as batch_op:
        for name in reversed(_COLUMNS):
            batch_op.drop_column(name)
