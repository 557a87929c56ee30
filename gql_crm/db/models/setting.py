from __future__ import annotations

import enum

from sqlalchemy import String, false, true
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
    company_name: Mapped[str] = mapped_column(String(200), doc="The company's name.")
    timezone: Mapped[str] = mapped_column(String(64), doc="IANA zone that decides what a 'day' is.")
    temporary_release_days: Mapped[int] = mapped_column(
        doc=(
            "A temporary-pool customer with no follow-up for this long falls back to the public "
            "pool."
        )
    )
    temporary_reclaim_ban_days: Mapped[int] = mapped_column(
        doc=(
            "An employee may not reclaim a customer they entered into the temporary pool that fell "
            "back, for this long."
        )
    )
    public_claim_ban_days: Mapped[int] = mapped_column(
        doc=(
            "An employee may not reclaim a customer they claimed from public that fell back, for "
            "this long."
        )
    )
    private_no_contact_days: Mapped[int] = mapped_column(
        doc=(
            "A private-pool customer not contacted for this long falls back to public; its owner "
            "may never claim it again."
        )
    )
    private_pool_cap: Mapped[int] = mapped_column(doc="Most private customers per employee.")
    temporary_pool_cap: Mapped[int] = mapped_column(doc="Most temporary customers per employee.")
    release_warning_days: Mapped[int] = mapped_column(
        doc="Owners are warned this many days before a customer falls back."
    )
    staff_see_company_sales: Mapped[bool] = mapped_column(
        server_default=true(),
        doc="Whether everyone sees the company's sales total of the month on the workbench; off, "
        "only those whose data scope is the whole company do.",
    )
    opportunities_enabled: Mapped[bool] = mapped_column(
        server_default=true(),
        doc="Whether opportunity management is on; off, its lists and mutations refuse "
        "(MODULE_DISABLED).",
    )
    # Which of these make two customers the same: imports and the customer mutations refuse a
    # customer that repeats another (within the file and against the live customers) by any.
    duplicate_customers_by_name: Mapped[bool] = mapped_column(
        server_default=true(),
        doc="Whether a customer whose name (in any case) another live customer has is a "
        "duplicate, refused by imports and the customer mutations.",
    )
    duplicate_customers_by_phone: Mapped[bool] = mapped_column(
        server_default=false(),
        doc="Whether a customer with a contact whose mobile or phone number (its digits) a "
        "contact of another live customer has is a duplicate.",
    )
    duplicate_customers_by_email: Mapped[bool] = mapped_column(
        server_default=false(),
        doc="Whether a customer with a contact whose e-mail (in any case) a contact of another "
        "live customer has is a duplicate.",
    )


class MaturityOption(Base):
    """A maturity grade (default A-J) and the pool a customer of that grade belongs in."""

    __tablename__ = "maturity_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(
        String(50), unique=True, doc="The maturity's name, as users see it."
    )
    sort_order: Mapped[int] = mapped_column(doc="Position in the list, smallest first.")
    pool: Mapped[Pool] = mapped_column(
        POOL_TYPE, doc="The pool a customer with this maturity is placed in."
    )
