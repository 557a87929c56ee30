from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.auth.masking import Mask, sensitive
from gql_crm.db.base import Base, reference, trigram_indexes


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        # At most one primary contact per customer, enforced by the database itself.
        Index(
            "uq_contacts_primary",
            "customer_id",
            unique=True,
            sqlite_where=text("is_primary"),
            postgresql_where=text("is_primary"),
        ),
        *trigram_indexes("contacts", "name", "mobile", "phone", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = reference("customers", "CASCADE")
    name: Mapped[str] = mapped_column(String(100), doc="The contact's name.")
    gender: Mapped[str | None] = mapped_column(String(10), doc="As the contact gives it.")
    mobile: Mapped[str | None] = mapped_column(
        String(32), info=sensitive(Mask.PHONE), doc="Mobile number."
    )
    phone: Mapped[str | None] = mapped_column(
        String(32), info=sensitive(Mask.PHONE), doc="Landline number."
    )
    email: Mapped[str | None] = mapped_column(
        String(254), info=sensitive(Mask.EMAIL), doc="E-mail address."
    )
    title: Mapped[str | None] = mapped_column(String(100), doc="Job title at the customer.")
    is_primary: Mapped[bool] = mapped_column(
        default=False, doc="Whether this is the customer's main contact (one per customer)."
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
