from __future__ import annotations

from datetime import datetime

import strawberry

from gql_crm.db.models import Contact
from gql_crm.db.pagination import SortKey
from gql_crm.schema.kit import ModelInput, ModelType
from gql_crm.schema.links import customer_link
from gql_crm.schema.masking import masked_field
from gql_crm.services.contact import ContactSort, contact_sort_keys

# What the customer and contact mutations refuse under the system settings' duplicate rule.
DUPLICATE_REFUSED = (
    "A name, number or e-mail that makes the customer repeat a live one under the duplicate "
    "rule (`duplicateCustomersBy…` in the system settings) is refused (INVALID_INPUT, naming "
    "the field)."
)


@strawberry.type(name="Contact", description="A person at a customer.")
class ContactType(ModelType, model=Contact):
    id: int
    customer_id: int
    name: str
    gender: str | None
    title: str | None
    is_primary: bool
    created_at: datetime
    updated_at: datetime
    mobile = masked_field(Contact, "mobile", description="Mobile number.")
    phone = masked_field(Contact, "phone", description="Phone number.")
    email = masked_field(Contact, "email", description="E-mail.")
    customer = customer_link()
    _model: strawberry.Private[Contact]


@strawberry.input
class ContactInput(ModelInput, model=Contact):
    name: str
    gender: str | None = strawberry.field(default=None, description="male, female or other")
    mobile: str | None = None
    phone: str | None = None
    email: str | None = None
    title: str | None = None
    is_primary: bool = False


ContactSortEnum = strawberry.enum(
    ContactSort, name="ContactSortField", description="What the contacts list is ordered by."
)


@strawberry.input(description="Narrows the contacts list; every field given must match.")
class ContactFilterInput:
    customer_id: int | None = None
    owner_id: int | None = strawberry.field(
        default=None, description="Contacts of the customers this user owns."
    )
    is_primary: bool | None = strawberry.field(
        default=None, description="Only primary contacts (true) or only the others (false)."
    )
    search: str | None = strawberry.field(
        default=None,
        description="Name or title contains; phone, mobile or e-mail contains where you see "
        "them unmasked.",
    )


@strawberry.input(description="The contacts list's order.")
class ContactSortInput:
    field: ContactSortEnum = strawberry.field(  # type: ignore[valid-type]
        default=ContactSort.NAME, description="What to order by."
    )
    descending: bool = strawberry.field(default=False, description="Largest first.")

    def keys(self) -> list[SortKey]:
        """The list's keyset order (the cursors' keys)."""
        return contact_sort_keys(ContactSort(self.field), self.descending)


@strawberry.type
class ContactSuccess:
    contact: ContactType
