from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.context import Info
from gql_crm.resolvers.common import paginate
from gql_crm.resolvers.kit import mutation
from gql_crm.schema.common import (
    ConflictError,
    Connection,
    DeleteSuccess,
    NotFoundError,
    requires,
)
from gql_crm.schema.contact import (
    DUPLICATE_REFUSED,
    ContactFilterInput,
    ContactInput,
    ContactSortInput,
    ContactSuccess,
    ContactType,
)
from gql_crm.schema.kit import values_of
from gql_crm.services import contact as contact_service
from gql_crm.services import customer as service
from gql_crm.services.contact import CONTACT_VIEW

# Whoever may change a customer's contacts may see them in full (the success shows them so).


@strawberry.type
class ContactQuery:
    @strawberry.field(
        extensions=[requires(CONTACT_VIEW)],
        description="Contacts of every customer you may see (phones and e-mails masked as "
        "everywhere); by name unless sorted otherwise.",
    )
    async def contacts(
        self,
        info: Info,
        filter: Annotated[
            ContactFilterInput | None, strawberry.argument(description="Filters combine.")
        ] = None,
        sort: Annotated[
            ContactSortInput | None, strawberry.argument(description="By name unless given.")
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ContactType]:
        principal = info.context.require_principal()
        stmt = contact_service.contact_query(principal, values_of(filter) if filter else None)
        keys = (sort or ContactSortInput()).keys()
        return await paginate(
            info, stmt, keys, first=first, after=after, to_node=ContactType.from_model
        )


@strawberry.type
class ContactMutation:
    add_contact = mutation(
        service.add_contact, ContactSuccess, needs=basic(Module.CONTACT, Action.CREATE),
        customer_id=int, input=ContactInput,
        description="Adds a contact to a customer; the contact form's settings apply. "
        + DUPLICATE_REFUSED,
    )  # fmt: skip
    update_contact = mutation(
        service.edit_contact, ContactSuccess, needs=basic(Module.CONTACT, Action.EDIT),
        id=int, input=ContactInput,
        description="Changes a contact; the contact form's settings apply. " + DUPLICATE_REFUSED,
    )  # fmt: skip
    delete_contact = mutation(
        service.remove_contact, DeleteSuccess, needs=basic(Module.CONTACT, Action.DELETE),
        id=int, failures=(NotFoundError, ConflictError), union="DeleteContactResult",
        description="A deleted primary contact passes the flag to the oldest remaining one.",
    )  # fmt: skip
