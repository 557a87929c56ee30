from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.context import Info
from gql_crm.db.models import Contact
from gql_crm.resolvers.common import mutate
from gql_crm.resolvers.customer import contact_fields
from gql_crm.schema.common import (
    ConflictError,
    DeleteSuccess,
    InvalidInputError,
    NotFoundError,
    deleted,
    requires,
)
from gql_crm.schema.contact import ContactInput, ContactSuccess, ContactType
from gql_crm.services import contact as contact_service
from gql_crm.services.customer import managed_contact, managed_customer
from gql_crm.services.unit_of_work import UnitOfWork

ContactResult = Annotated[
    ContactSuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("ContactResult"),
]
DeleteContactResult = Annotated[
    DeleteSuccess | NotFoundError | ConflictError, strawberry.union("DeleteContactResult")
]


def _success(contact: Contact) -> ContactSuccess:
    # Whoever may change a customer's contacts may see them in full.
    return ContactSuccess(contact=ContactType.from_model(contact))


@strawberry.type
class ContactMutation:
    @strawberry.mutation(extensions=[requires(basic(Module.CONTACT, Action.CREATE))])
    async def add_contact(self, info: Info, customer_id: int, input: ContactInput) -> ContactResult:
        async def operation(uow: UnitOfWork) -> Contact:
            customer = await managed_customer(uow, customer_id)
            return await contact_service.create_contact(uow, customer, contact_fields(input))

        return await mutate(info, operation, _success)

    @strawberry.mutation(extensions=[requires(basic(Module.CONTACT, Action.EDIT))])
    async def update_contact(self, info: Info, id: int, input: ContactInput) -> ContactResult:
        async def operation(uow: UnitOfWork) -> Contact:
            contact = await managed_contact(uow, id)
            return await contact_service.update_contact(uow, contact, contact_fields(input))

        return await mutate(info, operation, _success)

    @strawberry.mutation(
        extensions=[requires(basic(Module.CONTACT, Action.DELETE))],
        description="A deleted primary contact passes the flag to the oldest remaining one.",
    )
    async def delete_contact(self, info: Info, id: int) -> DeleteContactResult:
        async def operation(uow: UnitOfWork) -> int:
            contact = await managed_contact(uow, id)
            return await contact_service.delete_contact(uow, contact)

        return await mutate(info, operation, deleted)
