from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, str_enum


class DataScope(enum.StrEnum):
    OWN = "own"
    OWN_AND_SUBORDINATES = "own_and_subordinates"
    DEPARTMENT = "department"
    ALL = "all"


class Position(Base):
    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, doc="The position's name.")
    description: Mapped[str] = mapped_column(String(500), default="", doc="What the position does.")
    # Permission codes such as "customer:delete" (see gql_crm.auth.permissions).
    permissions: Mapped[list[str]] = mapped_column(
        JSON,
        default=list,
        doc="The permission codes its holders have (see the permissionCatalog query).",
    )
    data_scope: Mapped[DataScope] = mapped_column(
        str_enum(DataScope, 32), doc="Whose records its holders see."
    )
    created_at: Mapped[datetime]
