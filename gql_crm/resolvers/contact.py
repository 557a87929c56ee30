from __future__ import annotations

import strawberry

from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.resolvers.kit import mutation
from gql_crm.schema.common import ConflictError, DeleteSuccess, NotFoundError
from gql_crm.schema.contact import ContactInput, ContactSuccess
from gql_crm.services import customer as service

# Whoever may change a customer's contacts may see them in full (the success shows them so).


@strawberry.type
class ContactMutation:
    add_contact = mutation(
        service.add_contact, ContactSuccess, needs=basic(Module.CONTACT, Action.CREATE),
        customer_id=int, input=ContactInput,
        description="Adds a contact to a customer; the contact form's settings apply.",
    )  # fmt: skip
    update_contact = mutation(
        service.edit_contact, ContactSuccess, needs=basic(Module.CONTACT, Action.EDIT),
        id=int, input=ContactInput,
        description="Changes a contact; the contact form's settings apply.",
    )  # fmt: skip
    delete_contact = mutation(
        service.remove_contact, DeleteSuccess, needs=basic(Module.CONTACT, Action.DELETE),
        id=int, failures=(NotFoundError, ConflictError), union="DeleteContactResult",
        description="A deleted primary contact passes the flag to the oldest remaining one.",
    )  # fmt: skip
