from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, expression_index, reference, str_enum, trigram_indexes
from gql_crm.db.models.setting import POOL_TYPE, Pool


class CustomerKind(enum.StrEnum):
    ENTERPRISE = "enterprise"
    INDIVIDUAL = "individual"


class TemporaryOrigin(enum.StrEnum):
    """How a customer came into its owner's temporary pool; decides the reclaim ban."""

    ENTERED = "entered"
    CLAIMED = "claimed"


class BanReason(enum.StrEnum):
    TEMPORARY_ENTERED = "temporary_entered"
    PUBLIC_CLAIMED = "public_claimed"
    PRIVATE_NO_CONTACT = "private_no_contact"


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_pool_owner", "pool", "owner_id"),
        Index("ix_customers_owner_id", "owner_id", postgresql_include=["id"]),  # as orders
        # An owner's customers in list order (newest first, read backwards) and their count,
        # from the index alone: the customer list as a salesperson opens it.
        Index(
            "ix_customers_owner_live",
            "owner_id",
            "created_at",
            "id",
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_customers_deleted_by", "deleted_by_id"),
        # Statistics (new customers): the live customers a person entered over a range.
        Index(
            "ix_customers_creator_live",
            "created_by_id",
            "created_at",
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        # The few customers in the recycle bin, which statistics look for to leave out
        # (visibility.counts_customer) instead of matching every record to the live ones.
        Index(
            "ix_customers_binned",
            "id",
            sqlite_where=text("deleted_at IS NOT NULL"),
            postgresql_where=text("deleted_at IS NOT NULL"),
        ),
        # The duplicate rule's lookup of live customers by name in any case.
        expression_index("ix_customers_live_name", "lower(name)", where="deleted_at IS NULL"),
        *trigram_indexes("customers", "name", "short_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CustomerKind] = mapped_column(
        str_enum(CustomerKind, 16), doc="A company or a private person."
    )
    name: Mapped[str] = mapped_column(String(200), doc="The company's or person's full name.")
    short_name: Mapped[str | None] = mapped_column(String(100), doc="A short name for lists.")
    acquired_on: Mapped[date | None] = mapped_column(doc="The day the customer was acquired.")
    category_id: Mapped[int | None] = reference("option_items")
    source_id: Mapped[int | None] = reference("option_items")
    status_id: Mapped[int | None] = reference("option_items")
    industry_id: Mapped[int | None] = reference("option_items")
    maturity_id: Mapped[int | None] = reference("maturity_options")
    city: Mapped[str | None] = mapped_column(String(100), doc="City.")
    address: Mapped[str | None] = mapped_column(String(300), doc="Postal address.")
    website: Mapped[str | None] = mapped_column(String(200), doc="Web address.")
    remarks: Mapped[str | None] = mapped_column(Text, doc="Free notes.")

    # Ownership and the pool clocks.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # ix_customers_owner_id
    pool: Mapped[Pool] = mapped_column(
        POOL_TYPE, doc="The pool the customer is in, which decides who may work on it."
    )
    pool_entered_at: Mapped[datetime] = mapped_column(
        doc="When the customer entered its current pool."
    )
    temporary_origin: Mapped[TemporaryOrigin | None] = mapped_column(
        str_enum(TemporaryOrigin, 16),
        doc="How a customer in the temporary pool got there (null in other pools).",
    )
    last_follow_up_at: Mapped[datetime | None] = mapped_column(
        index=True, doc="When it was last followed up."
    )
    closed_won_at: Mapped[datetime | None] = mapped_column(
        doc="When a deal with it was first won (null: none yet)."
    )
    # The start of the release cycle (max of pool_entered_at and last_follow_up_at) the owner
    # was last warned about: a warning is due again only once the clock has restarted.
    release_warned_for: Mapped[datetime | None]

    created_by_id: Mapped[int | None] = reference("users")
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    # Recycle bin: a deleted customer is hidden everywhere but its deleter's bin.
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CustomerShare(Base):
    """A colleague the owner shared the customer with: they see it and may follow it up."""

    __tablename__ = "customer_shares"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    shared_by_id: Mapped[int | None] = reference("users")
    created_at: Mapped[datetime]


class CustomerBan(Base):
    """A user may not claim this customer until ``until`` (None: never again)."""

    __tablename__ = "customer_bans"
    __table_args__ = (Index("ix_customer_bans_customer_user", "customer_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    user_id: Mapped[int] = reference("users")
    reason: Mapped[BanReason] = mapped_column(str_enum(BanReason, 32))
    until: Mapped[datetime | None]
    created_at: Mapped[datetime]
