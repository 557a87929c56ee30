from __future__ import annotations

import enum

from sqlalchemy import String, true
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, str_enum


class Pool(enum.StrEnum):
    PRIVATE = "private"
    TEMPORARY = "temporary"
    PUBLIC = "public"
    SPECIAL = "special"


POOL_TYPE = str_enum(Pool, 16)


class SystemSettings(Base):
    """The company's settings: one row (id = 1)."""

    __tablename__ = "system_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    temporary_release_days: Mapped[int]
    temporary_reclaim_ban_days: Mapped[int]
    public_claim_ban_days: Mapped[int]
    private_no_contact_days: Mapped[int]
    private_pool_cap: Mapped[int]
    temporary_pool_cap: Mapped[int]
    release_warning_days: Mapped[int]
    # Whether staff whose data scope is not the whole company see its monthly sales total.
    staff_see_company_sales: Mapped[bool] = mapped_column(server_default=true())
    # Off, the opportunity module's fields and mutations refuse (MODULE_DISABLED).
    opportunities_enabled: Mapped[bool] = mapped_column(server_default=true())


class MaturityOption(Base):
    """A maturity grade (default A-J) and the pool a customer of that grade belongs in."""

    __tablename__ = "maturity_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(50), unique=True)
    sort_order: Mapped[int]
    pool: Mapped[Pool] = mapped_column(POOL_TYPE)
