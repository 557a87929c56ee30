from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import UNSET

from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.context import Info
from gql_crm.db.models import Customer
from gql_crm.resolvers.common import mutate, paginate
from gql_crm.schema.common import (
    ConflictError,
    Connection,
    DeleteSuccess,
    InvalidInputError,
    NotFoundError,
    deleted,
    requires,
)
from gql_crm.schema.contact import DUPLICATE_REFUSED, ContactInput
from gql_crm.schema.customer import (
    CustomerFilterInput,
    CustomerInput,
    CustomerSortInput,
    CustomerSuccess,
    CustomerType,
    CustomerUpdateInput,
)
from gql_crm.schema.kit import values_of
from gql_crm.schema.pool import PoolCapReachedError
from gql_crm.services import customer as customer_service
from gql_crm.services.contact import ContactFields
from gql_crm.services.unit_of_work import UnitOfWork

CreateCustomerResult = Annotated[
    CustomerSuccess | InvalidInputError | NotFoundError | PoolCapReachedError,
    strawberry.union("CreateCustomerResult"),
]
UpdateCustomerResult = Annotated[
    CustomerSuccess | InvalidInputError | NotFoundError | ConflictError | PoolCapReachedError,
    strawberry.union("UpdateCustomerResult"),
]
DeleteCustomerResult = Annotated[
    CustomerSuccess | NotFoundError | ConflictError, strawberry.union("DeleteCustomerResult")
]
RestoreCustomerResult = Annotated[
    CustomerSuccess | NotFoundError | ConflictError | PoolCapReachedError,
    strawberry.union("RestoreCustomerResult"),
]
PurgeCustomerResult = Annotated[
    DeleteSuccess | NotFoundError, strawberry.union("PurgeCustomerResult")
]


def customer_fields(
    data: CustomerInput, contacts: list[ContactInput] | None = None
) -> customer_service.CustomerFields:
    return customer_service.CustomerFields(
        **values_of(data), contacts=tuple(contact_fields(c) for c in contacts or ())
    )


def contact_fields(data: ContactInput) -> ContactFields:
    return ContactFields(**values_of(data))


def _success(customer: Customer) -> CustomerSuccess:
    return CustomerSuccess(customer=CustomerType.from_model(customer))


@strawberry.type
class CustomerQuery:
    @strawberry.field(
        extensions=[requires(basic(Module.CUSTOMER, Action.VIEW))],
        description="A customer you may see (null otherwise).",
    )
    async def customer(self, info: Info, id: int) -> CustomerType | None:
        customer = await info.context.loaders.visible_customer.load(id)
        return CustomerType.from_model(customer) if customer else None

    @strawberry.field(
        extensions=[requires(basic(Module.CUSTOMER, Action.VIEW))],
        description="Customer lists and quick search; filters combine.",
    )
    async def customers(
        self,
        info: Info,
        filter: CustomerFilterInput | None = None,
        sort: CustomerSortInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CustomerType]:
        principal = info.context.require_principal()
        f = filter or CustomerFilterInput()
        stmt = customer_service.customer_query(
            principal,
            customer_service.CustomerFilter(**values_of(f)),
        )
        keys = (sort or CustomerSortInput()).keys()
        return await paginate(
            info, stmt, keys, first=first, after=after, to_node=CustomerType.from_model
        )

    @strawberry.field(description="Customers you deleted: restore or purge them.")
    async def recycle_bin(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[CustomerType]:
        principal = info.context.require_principal()
        stmt, keys = customer_service.recycle_bin_query(principal)
        return await paginate(
            info, stmt, keys, first=first, after=after, to_node=CustomerType.from_model
        )


@strawberry.type
class CustomerMutation:
    @strawberry.mutation(
        extensions=[requires(basic(Module.CUSTOMER, Action.CREATE))],
        description="Enter a customer with its contacts; the maturity decides the pool. "
        + DUPLICATE_REFUSED,
    )
    async def create_customer(
        self, info: Info, input: CustomerInput, contacts: list[ContactInput] | None = None
    ) -> CreateCustomerResult:
        async def operation(uow: UnitOfWork) -> Customer:
            settings = await info.context.loaders.settings()
            fields = customer_fields(input, contacts)
            return await customer_service.create_customer(uow, settings, fields)

        return await mutate(info, operation, _success)

    @strawberry.mutation(
        extensions=[requires(basic(Module.CUSTOMER, Action.EDIT))],
        description="Changes the fields given (an explicit null clears one; name and kind "
        "cannot be cleared). The entry form of the customer's kind applies, and a new maturity "
        "may move it to another pool. " + DUPLICATE_REFUSED,
    )
    async def update_customer(
        self, info: Info, id: int, input: CustomerUpdateInput
    ) -> UpdateCustomerResult:
        changes = {k: v for k, v in values_of(input).items() if v is not UNSET}

        async def operation(uow: UnitOfWork) -> Customer:
            settings = await info.context.loaders.settings()
            return await customer_service.update_customer(uow, settings, id, changes)

        return await mutate(info, operation, _success)

    @strawberry.mutation(
        extensions=[requires(basic(Module.CUSTOMER, Action.DELETE))],
        description="Move to your recycle bin (with contacts and follow-ups).",
    )
    async def delete_customer(self, info: Info, id: int) -> DeleteCustomerResult:
        return await mutate(info, lambda uow: customer_service.delete_customer(uow, id), _success)

    @strawberry.mutation(
        extensions=[requires(basic(Module.CUSTOMER, Action.DELETE))],
        description="Brings a customer back from the recycle bin, as it was; its pool's rules "
        "(caps) apply. Refused (CONFLICT, naming what repeats) when a live customer now has its "
        "name, or a contact's number or e-mail, under the duplicate rule "
        "(`duplicateCustomersBy…` in the system settings).",
    )
    async def restore_customer(self, info: Info, id: int) -> RestoreCustomerResult:
        async def operation(uow: UnitOfWork) -> Customer:
            settings = await info.context.loaders.settings()
            return await customer_service.restore_customer(uow, settings, id)

        return await mutate(info, operation, _success)

    @strawberry.mutation(
        extensions=[requires(basic(Module.CUSTOMER, Action.DELETE))],
        description="Delete for good a customer from your recycle bin.",
    )
    async def purge_customer(self, info: Info, id: int) -> PurgeCustomerResult:
        return await mutate(info, lambda uow: customer_service.purge_customer(uow, id), deleted)
