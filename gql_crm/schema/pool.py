"""What the pool's rules answer when they refuse: a full pool, a claim ban, a customer out of
reach, a batch that names each customer that blocked it."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql_crm.schema.common import Error, register_error
from gql_crm.schema.setting import PoolEnum
from gql_crm.services import errors


@strawberry.type(description="The owner's private or temporary pool is full.")
class PoolCapReachedError(Error):
    pool: PoolEnum = strawberry.field(description="The pool that is full.")  # type: ignore[valid-type]
    cap: int = strawberry.field(description="How many customers one user may hold in that pool.")


@strawberry.type(description="You may not claim this customer yet (or ever: `until` is null).")
class ClaimBannedError(Error):
    reason: str = strawberry.field(description="Why you may not take the customer back.")
    until: datetime | None = strawberry.field(
        description="When the ban ends (null: it never does)."
    )


@strawberry.type(description="The customer is not in a pool you may claim from.")
class NotClaimableError(Error):
    pass


@strawberry.type(description="One customer of a batch that could not be done.")
class BatchFailure:
    customer_id: int = strawberry.field(description="0 when the failure is not about a customer.")
    reason: str = strawberry.field(description="Why, for people.")


@strawberry.type(
    description="Nothing was changed; `failures` names every customer that blocked it."
)
class BatchRefusedError(Error):
    failures: list[BatchFailure] = strawberry.field(
        description="Every customer of the batch that could not be done, with the reason."
    )


@strawberry.type(description="What a pool release run did.")
class PoolReleaseRun:
    released: int = strawberry.field(description="Customers that fell back to the public pool.")
    warned: int = strawberry.field(description="Advance warnings sent to owners.")
    ran_at: datetime = strawberry.field(description="The time the run went by.")


register_error(
    errors.CapReached,
    lambda e: PoolCapReachedError(
        code=e.code, message=e.message, field=e.field, pool=e.pool, cap=e.cap
    ),
)
register_error(
    errors.ClaimBanned,
    lambda e: ClaimBannedError(
        code=e.code, message=e.message, field=e.field, reason=str(e.reason), until=e.until
    ),
)
register_error(
    errors.NotClaimable,
    lambda e: NotClaimableError(code=e.code, message=e.message, field=e.field),
)
register_error(
    errors.BatchRefused,
    lambda e: BatchRefusedError(
        code=e.code,
        message=e.message,
        field=e.field,
        failures=[BatchFailure(customer_id=c, reason=r) for c, r in e.failures],
    ),
)
