from __future__ import annotations

from datetime import datetime

import strawberry

from gql_crm.db.models import Contact
from gql_crm.schema.kit import ModelInput, ModelType
from gql_crm.schema.masking import masked_field


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


@strawberry.type
class ContactSuccess:
    contact: ContactType
