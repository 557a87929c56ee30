from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base


class DataScope(enum.StrEnum):
    OWN = "own"
    OWN_AND_SUBORDINATES = "own_and_subordinates"
    DEPARTMENT = "department"
    ALL = "all"


class Position(Base):
    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    # Permission codes such as "customer:delete" (see gql_crm.auth.permissions).
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    data_scope: Mapped[DataScope] = mapped_column(
        Enum(
            DataScope, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e]
        )
    )
    created_at: Mapped[datetime]
