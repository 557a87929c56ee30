from __future__ import annotations

import enum
from typing import Annotated, Any

import strawberry

from gql_crm.auth.permissions import ADMIN_EDIT, Action, Module, basic
from gql_crm.context import Info
from gql_crm.db.models import Customer, Pool
from gql_crm.resolvers.common import mutate
from gql_crm.schema.common import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    error_from,
    requires,
)
from gql_crm.schema.customer import CustomersSuccess, CustomerSuccess, CustomerType
from gql_crm.schema.pool import (
    BatchRefusedError,
    ClaimBannedError,
    NotClaimableError,
    PoolCapReachedError,
    PoolReleaseRun,
)
from gql_crm.services import pool as pool_service
from gql_crm.services import pool_release
from gql_crm.services.errors import DomainError, InvalidInput
from gql_crm.services.unit_of_work import UnitOfWork

CUSTOMER_EDIT = basic(Module.CUSTOMER, Action.EDIT)
RunPoolReleaseResult = Annotated[
    PoolReleaseRun | InvalidInputError, strawberry.union("RunPoolReleaseResult")
]

ClaimCustomerResult = Annotated[
    CustomerSuccess
    | ClaimBannedError
    | PoolCapReachedError
    | NotClaimableError
    | ConflictError
    | NotFoundError,
    strawberry.union("ClaimCustomerResult"),
]
BatchCustomersResult = Annotated[
    CustomersSuccess | BatchRefusedError | PoolCapReachedError | InvalidInputError | NotFoundError,
    strawberry.union("BatchCustomersResult"),
]


@strawberry.enum(description="The pools customers can be handed back to.")
class TransferPool(enum.Enum):
    PUBLIC = "public"
    SPECIAL = "special"


def _many(customers: list[Customer]) -> CustomersSuccess:
    return CustomersSuccess(customers=[CustomerType.from_model(c) for c in customers])


@strawberry.type
class PoolMutation:
    @strawberry.mutation(
        extensions=[requires(CUSTOMER_EDIT)],
        description="Claim a public-pool customer into your temporary pool (caps and reclaim "
        "bans apply; exactly one of several simultaneous claimers wins).",
    )
    async def claim_customer(self, info: Info, id: int) -> ClaimCustomerResult:
        async def operation(uow: UnitOfWork) -> Customer:
            return await pool_service.claim(uow, await info.context.loaders.settings(), id)

        return await mutate(
            info, operation, lambda c: CustomerSuccess(customer=CustomerType.from_model(c))
        )

    @strawberry.mutation(
        extensions=[requires(CUSTOMER_EDIT)],
        description="Transfer customers to a colleague (toUserId) or to the PUBLIC or SPECIAL "
        "pool (toPool): all or nothing.",
    )
    async def transfer_customers(
        self,
        info: Info,
        customer_ids: list[int],
        to_user_id: int | None = None,
        to_pool: Annotated[
            TransferPool | None, strawberry.argument(description="The pool to send them to.")
        ] = None,
    ) -> BatchCustomersResult:
        async def operation(uow: UnitOfWork) -> list[Customer]:
            if (to_user_id is None) == (to_pool is None):
                raise InvalidInput.single("toUserId", "give exactly one of toUserId and toPool")
            target = pool_service.TransferTarget(
                user_id=to_user_id, pool=Pool(to_pool.value) if to_pool else None
            )
            settings = await info.context.loaders.settings()
            return await pool_service.transfer(uow, settings, customer_ids, target)

        return await mutate(info, operation, _many)

    @strawberry.mutation(
        extensions=[requires(CUSTOMER_EDIT)],
        description="Share customers with colleagues, who may then see and follow them up.",
    )
    async def share_customers(
        self, info: Info, customer_ids: list[int], user_ids: list[int]
    ) -> BatchCustomersResult:
        return await mutate(
            info, lambda uow: pool_service.share(uow, customer_ids, user_ids, True), _many
        )

    @strawberry.mutation(
        extensions=[requires(ADMIN_EDIT)],
        description="Run the pool release and its advance warnings once, now, inside the "
        "server, so that connected bells and customer watchers hear of it; daysAhead runs it as if "
        "it were that many days later, for demonstrations.",
    )
    async def run_pool_release(
        self,
        info: Info,
        days_ahead: Annotated[
            int, strawberry.argument(description="Run as if it were this many days later.")
        ] = 0,
    ) -> RunPoolReleaseResult:
        try:
            run = await pool_release.run_in_server(info.context.services, days_ahead)
        except DomainError as error:
            refused: Any = error_from(error)  # the union member for the error
            return refused
        return PoolReleaseRun(released=run.released, warned=run.warned, ran_at=run.ran_at)

    @strawberry.mutation(
        extensions=[requires(CUSTOMER_EDIT)], description="Stops sharing customers with users."
    )
    async def unshare_customers(
        self, info: Info, customer_ids: list[int], user_ids: list[int]
    ) -> BatchCustomersResult:
        return await mutate(
            info, lambda uow: pool_service.share(uow, customer_ids, user_ids, False), _many
        )
