from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from gql_crm.context import Context, Info
from gql_crm.db.models import Customer, Pool
from gql_crm.db.visibility import customer_visible
from gql_crm.schema.common import requires
from gql_crm.schema.customer import CustomerType
from gql_crm.schema.setting import PoolEnum
from gql_crm.services.customer import CUSTOMER_VIEW, CustomerFilter, customer_query
from gql_crm.services.pool import CUSTOMER_TOPIC
from gql_crm.subscriptions.bus import Event
from gql_crm.subscriptions.live import Feed, feed, live_items


@strawberry.type(description="A customer you may see was created, claimed, transferred…")
class CustomerEvent:
    type: str = strawberry.field(description="e.g. customer.claimed, customer.transferred")
    customer_id: int
    pool: PoolEnum = strawberry.field(description="The pool the customer is in after the change.")  # type: ignore[valid-type]
    owner_id: int | None

    @strawberry.field(description="The customer as it is now (null if you may no longer see it).")
    async def customer(self, info: Info) -> CustomerType | None:
        principal = info.context.require_principal()
        stmt = customer_query(principal, CustomerFilter()).where(Customer.id == self.customer_id)
        async with info.context.services.database.reader() as session:
            row = await session.scalar(stmt)
        return CustomerType.from_model(row) if row else None


@feed("customerEvents")
class CustomerEvents(Feed[CustomerEvent]):
    channels = (CUSTOMER_TOPIC,)

    __slots__ = ("_customer_id", "_principal")

    def __init__(self, context: Context, customer_id: int | None = None) -> None:
        self._principal = context.require_principal()
        self._customer_id = customer_id

    def items(self, event: Event) -> list[CustomerEvent]:
        if event.channel != CUSTOMER_TOPIC:
            return []
        p = event.payload
        # A release job batch names many customers in one event.
        ids = [event.id] if event.id is not None else list(p.get("customerIds", ()))
        if self._customer_id is not None:
            ids = [i for i in ids if i == self._customer_id]
        pool, previous = Pool(p["pool"]), p.get("fromOwnerId")
        principal = self._principal
        # Shares are left out (an event does not carry them); a customer that left the scope
        # is still heard of once, by those who saw it before.
        visible = customer_visible(principal, pool, p["ownerId"], shared=False) or (
            previous is not None and principal.can_see_owner(previous)
        )
        if not visible:
            return []
        return [
            CustomerEvent(type=event.type, customer_id=one, pool=pool, owner_id=p["ownerId"])
            for one in ids
        ]


@strawberry.type
class CustomerSubscription:
    @strawberry.subscription(
        extensions=[requires(CUSTOMER_VIEW)],
        description="Changes to customers you may see (public pools and owners in your scope); "
        "give customerId to follow one customer.",
    )
    async def customer_events(
        self, info: Info, customer_id: int | None = None
    ) -> AsyncGenerator[CustomerEvent, None]:
        feed = CustomerEvents(info.context, customer_id=customer_id)
        async for item in live_items(info.context, feed):
            yield item
