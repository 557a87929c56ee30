from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, reference


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(
        String(100), doc="The department's name, unique among its siblings."
    )
    parent_id: Mapped[int | None] = reference("departments", "RESTRICT")
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True), index=True
    )
    sort_order: Mapped[int] = mapped_column(
        default=0, doc="Position among its siblings, smallest first."
    )
    created_at: Mapped[datetime]
