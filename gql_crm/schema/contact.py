from __future__ import annotations

from datetime import datetime

import strawberry

from gql_crm.auth.masking import mask_email, mask_phone
from gql_crm.db.models import Contact

_MASK_NOTE = (
    " Masked unless you have customer:view_contact_details, manage the customer or it is "
    "shared with you."
)


@strawberry.type(name="Contact", description="A person at a customer.")
class ContactType:
    id: int
    customer_id: int
    name: str
    gender: str | None
    title: str | None
    is_primary: bool
    created_at: datetime
    updated_at: datetime
    mobile: str | None = strawberry.field(description="Mobile number." + _MASK_NOTE)
    phone: str | None = strawberry.field(description="Phone number." + _MASK_NOTE)
    email: str | None = strawberry.field(description="E-mail." + _MASK_NOTE)

    @classmethod
    def from_model(cls, contact: Contact, *, details: bool) -> ContactType:
        """``details``: whether the reader may see phone numbers and e-mails unmasked."""
        return cls(
            id=contact.id,
            customer_id=contact.customer_id,
            name=contact.name,
            gender=contact.gender,
            title=contact.title,
            is_primary=contact.is_primary,
            created_at=contact.created_at,
            updated_at=contact.updated_at,
            mobile=contact.mobile if details else mask_phone(contact.mobile),
            phone=contact.phone if details else mask_phone(contact.phone),
            email=contact.email if details else mask_email(contact.email),
        )


@strawberry.input
class ContactInput:
    name: str
    gender: str | None = strawberry.field(default=None, description="male, female or other")
    mobile: str | None = None
    phone: str | None = None
    email: str | None = None
    title: str | None = None
    is_primary: bool = False


@strawberry.type
class ContactSuccess:
    contact: ContactType
