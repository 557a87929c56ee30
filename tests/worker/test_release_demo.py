"""The README's live release demo: an administrator runs the release inside the server, as if
it were later, and a connected bell hears of it (a run in another process cannot reach the
embedded default's in-memory events)."""

from __future__ import annotations

from datetime import timedelta

from starlette.applications import Starlette

from gql_crm.clock import FrozenClock
from gql_crm.db.models import Pool
from gql_crm.services.unit_of_work import Services
from tests.fixtures.errors import forbidden
from tests.fixtures.factories import Seed, seed_customers
from tests.fixtures.live import subscribed
from tests.fixtures.users import user_id
from tests.graphql_client import GraphQLClient
from tests.worker.support import notifications

DAY = timedelta(days=1)
RUN = """mutation($days: Int!) { runPoolRelease(daysAhead: $days) { __typename
  ... on PoolReleaseRun { released warned ranAt }
  ... on InvalidInputError { problems { field message } } } }"""
BELL = "subscription { notifications { notification { kind linkId } } }"


async def test_a_release_run_in_the_server_rings_the_connected_bell(
    app: Starlette,
    services: Services,
    clock: FrozenClock,
    admin: GraphQLClient,
    sales1: GraphQLClient,
) -> None:
    owner = await user_id(services, "sales1")
    ids = await seed_customers(
        services, [Seed("Later", Pool.TEMPORARY, owner, clock.now())], clock.now()
    )
    later = clock.now() + 8 * DAY
    await forbidden(sales1, RUN, days=8)
    async with subscribed(app, BELL, sales1) as [bell]:
        ran = (await admin.data(RUN, days=8))["runPoolRelease"]
        assert ran == {
            "__typename": "PoolReleaseRun",
            "released": 1,
            "warned": 0,
            "ranAt": later.isoformat(),
        }
        heard = (await bell.next_data())["notifications"]["notification"]
        assert heard == {"kind": "customer.released", "linkId": ids["Later"]}
    assert await notifications(services, "customer.released") == [(owner, ids["Later"])]


async def test_a_run_in_the_past_is_refused(admin: GraphQLClient, services: Services) -> None:
    refused = (await admin.data(RUN, days=-1))["runPoolRelease"]
    assert refused == {
        "__typename": "InvalidInputError",
        "problems": [{"field": "daysAhead", "message": "must be between 0 and 3650"}],
    }
    assert await notifications(services, "customer.released") == []
