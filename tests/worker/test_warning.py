"""Advance warnings: owners hear N days (setting) before a customer falls back, once per
customer and release cycle."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from gql_crm.clock import FrozenClock
from gql_crm.db.models import Customer, Pool
from gql_crm.services.pool_release import warn_pool
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import Seed, seed_customers
from tests.fixtures.users import user_id
from tests.worker.support import notifications

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


async def test_owners_are_warned_once_per_cycle(services: Services, clock: FrozenClock) -> None:
    now = clock.now()
    sales1 = await user_id(services, "sales1")
    sales2 = await user_id(services, "sales2")
    ids = await seed_customers(
        services,
        [
            Seed("temp, 3 days left", Pool.TEMPORARY, sales1, now - 4 * DAY),
            Seed("temp, 3 days and a second left", Pool.TEMPORARY, sales1, now - 4 * DAY + SECOND),
            Seed("private, 2 days left", Pool.PRIVATE, sales2, now - 28 * DAY),
            Seed(
                "private, contacted",
                Pool.PRIVATE,
                sales2,
                now - 90 * DAY,
                last_follow_up_at=now - 10 * DAY,
            ),
            Seed("temp, already due", Pool.TEMPORARY, sales1, now - 8 * DAY),
            Seed(
                "temp, closed won",
                Pool.TEMPORARY,
                sales1,
                now - 5 * DAY,
                closed_won_at=now - 5 * DAY,
            ),
        ],
        now,
    )
    warned = sorted([ids["temp, 3 days left"], ids["private, 2 days left"]])

    assert await warn_pool(services, batch_size=1) == warned
    assert await notifications(services, "customer.release_warning") == [
        (sales1, ids["temp, 3 days left"]),
        (sales2, ids["private, 2 days left"]),
    ]
    assert await warn_pool(services) == []  # once per cycle
    clock.advance(DAY)
    assert await warn_pool(services) == [ids["temp, 3 days and a second left"]]

    # A follow-up restarts the clock: a new cycle, a new warning when it nears its end.
    async with services.database.writer() as session, session.begin():
        await session.execute(
            update(Customer)
            .where(Customer.id == ids["temp, 3 days left"])
            .values(last_follow_up_at=clock.now())
        )
    clock.advance(3 * DAY)
    assert await warn_pool(services) == []
    clock.advance(DAY)
    assert await warn_pool(services) == [ids["temp, 3 days left"]]
    assert len(await notifications(services, "customer.release_warning")) == 4
