"""Pool placement (F1.4, F2.1, F2.4): the maturity decides the pool, follow-ups restart the
release clock, maturity changes move customers between pools within the caps."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

from gql_crm.clock import FrozenClock
from gql_crm.services.unit_of_work import Services
from tests.fixtures.graphql import result
from tests.graphql_client import GraphQLClient
from tests.pool.support import (
    CREATE,
    create,
    follow_up,
    log_actions,
    set_settings,
    snapshot,
    update_maturity,
    visible,
    when,
)

TEMPORARY_REASON = "no follow-up within the temporary-pool release time"
PRIVATE_REASON = "not contacted within the private-pool no-contact time"


async def test_maturity_decides_pool_owner_and_release_time(
    sales1: GraphQLClient, gql: GraphQLClient, clock: FrozenClock, grades: dict[str, int]
) -> None:
    entered = clock.now()
    me = sales1.user_id

    private = await create(sales1, "Acme Steel", grades["A"])
    assert private["pool"] == "PRIVATE"
    assert private["ownerId"] == me
    assert private["temporaryOrigin"] is None
    assert when(private["poolEnteredAt"]) == entered
    assert when(private["poolRelease"]["at"]) == entered + timedelta(days=30)
    assert private["poolRelease"]["reason"] == PRIVATE_REASON

    temporary = await create(sales1, "Blue River Foods", grades["E"])
    assert temporary["pool"] == "TEMPORARY"
    assert temporary["ownerId"] == me
    assert temporary["temporaryOrigin"] == "ENTERED"
    assert when(temporary["poolRelease"]["at"]) == entered + timedelta(days=7)
    assert temporary["poolRelease"]["reason"] == TEMPORARY_REASON

    for name, grade in (("No Grade Ltd", None), ("Grade G Ltd", grades["G"])):
        public = await create(sales1, name, grade)
        assert public["pool"] == "PUBLIC"
        assert public["ownerId"] is None
        assert public["temporaryOrigin"] is None
        assert public["poolRelease"] is None
        found = await visible(sales1, public["id"])
        assert found["operationLog"]["nodes"] == [
            {
                "action": "create",
                "changes": {"pool": [None, "public"], "ownerId": [None, None]},
                "actorId": me,
            }
        ]
        # The public pool is open to everyone.
        assert (await visible(await gql.as_user("sales3"), public["id"]))["pool"] == "PUBLIC"

    assert (await visible(sales1, private["id"]))["operationLog"]["nodes"] == [
        {
            "action": "create",
            "changes": {"pool": [None, "private"], "ownerId": [None, me]},
            "actorId": me,
        }
    ]
    assert (await visible(sales1, temporary["id"]))["operationLog"]["nodes"] == [
        {
            "action": "create",
            "changes": {"pool": [None, "temporary"], "ownerId": [None, me]},
            "actorId": me,
        }
    ]


async def test_follow_up_moves_the_release_time(
    sales1: GraphQLClient, gql: GraphQLClient, clock: FrozenClock, grades: dict[str, int]
) -> None:
    private = await create(sales1, "Acme Steel", grades["A"])
    temporary = await create(sales1, "Blue River Foods", grades["E"])

    clock.advance(timedelta(days=5, hours=3))
    sales1 = await gql.as_user("sales1")  # tokens last 12 hours
    followed = clock.now()
    for customer_id in (private["id"], temporary["id"]):
        out = await follow_up(sales1, customer_id)
        assert out["__typename"] == "FollowUpSuccess", out
    private = await visible(sales1, private["id"])
    temporary = await visible(sales1, temporary["id"])
    assert when(private["lastFollowUpAt"]) == followed
    assert when(private["poolRelease"]["at"]) == followed + timedelta(days=30)
    assert when(temporary["poolRelease"]["at"]) == followed + timedelta(days=7)

    # An older follow-up recorded later does not move the clock back.
    out = await follow_up(sales1, temporary["id"], followed - timedelta(days=2))
    assert out["__typename"] == "FollowUpSuccess", out
    again = await visible(sales1, temporary["id"])
    assert when(again["poolRelease"]["at"]) == followed + timedelta(days=7)

    # A follow-up given in another time zone counts at its true instant.
    clock.advance(timedelta(hours=5))
    shanghai = timezone(timedelta(hours=8))
    local = (clock.now() - timedelta(hours=1)).astimezone(shanghai)
    out = await follow_up(sales1, temporary["id"], local)
    assert out["__typename"] == "FollowUpSuccess", out
    again = await visible(sales1, temporary["id"])
    assert when(again["lastFollowUpAt"]) == local.astimezone(UTC)
    assert when(again["poolRelease"]["at"]) == local + timedelta(days=7)
    # Follow-ups do not change the pool: no pool entry in the operation log.
    assert log_actions(again) == ["create"]


async def test_maturity_change_moves_between_private_and_temporary(
    sales1: GraphQLClient, gql: GraphQLClient, clock: FrozenClock, grades: dict[str, int]
) -> None:
    me = sales1.user_id
    customer = await create(sales1, "Acme Steel", grades["A"])
    cid = customer["id"]

    clock.advance(timedelta(days=1))
    sales1 = await gql.as_user("sales1")
    moved_at = clock.now()
    out = await update_maturity(sales1, cid, "Acme Steel", grades["E"])
    assert out["__typename"] == "CustomerSuccess", out
    moved = out["customer"]
    assert (moved["pool"], moved["ownerId"], moved["temporaryOrigin"]) == (
        "TEMPORARY",
        me,
        "ENTERED",
    )
    assert when(moved["poolEnteredAt"]) == moved_at
    assert when(moved["poolRelease"]["at"]) == moved_at + timedelta(days=7)

    clock.advance(timedelta(days=1))
    sales1 = await gql.as_user("sales1")
    back_at = clock.now()
    out = await update_maturity(sales1, cid, "Acme Steel", grades["A"])
    assert out["__typename"] == "CustomerSuccess", out
    back = out["customer"]
    assert (back["pool"], back["ownerId"], back["temporaryOrigin"]) == ("PRIVATE", me, None)
    assert when(back["poolEnteredAt"]) == back_at
    assert when(back["poolRelease"]["at"]) == back_at + timedelta(days=30)

    # A grade of the same pool changes the grade only: the clock keeps running.
    clock.advance(timedelta(hours=1))
    out = await update_maturity(sales1, cid, "Acme Steel", grades["B"])
    assert out["__typename"] == "CustomerSuccess", out
    same = out["customer"]
    assert same["pool"] == "PRIVATE"
    assert when(same["poolEnteredAt"]) == back_at

    found = await visible(sales1, cid)
    assert [(e["action"], e["changes"]) for e in reversed(found["operationLog"]["nodes"])] == [
        ("create", {"pool": [None, "private"], "ownerId": [None, me]}),
        (
            "change_pool",
            {"maturityId": [grades["A"], grades["E"]], "pool": ["private", "temporary"]},
        ),
        (
            "change_pool",
            {"maturityId": [grades["E"], grades["A"]], "pool": ["temporary", "private"]},
        ),
        ("change_pool", {"maturityId": [grades["A"], grades["B"]]}),
    ]


async def test_caps_refuse_maturity_changes_and_entries(
    admin: GraphQLClient, sales1: GraphQLClient, services: Services, grades: dict[str, int]
) -> None:
    await set_settings(admin, privatePoolCap=1, temporaryPoolCap=1)
    private = await create(sales1, "Acme Steel", grades["A"])
    temporary = await create(sales1, "Blue River Foods", grades["E"])
    before = await snapshot(services)

    # Temporary -> private with a full private pool.
    out = await update_maturity(sales1, temporary["id"], "Blue River Foods", grades["A"])
    assert out == {
        "__typename": "PoolCapReachedError",
        "code": "POOL_CAP_REACHED",
        "message": "Wang Wei holds 1 customer(s) in the private pool, where at most 1 are "
        "allowed; one more would exceed that.",
        "field": "pool",
        "pool": "PRIVATE",
        "cap": 1,
    }
    # Private -> temporary with a full temporary pool.
    out = await update_maturity(sales1, private["id"], "Acme Steel", grades["D"])
    assert out["__typename"] == "PoolCapReachedError", out
    assert (out["pool"], out["cap"]) == ("TEMPORARY", 1)
    # Entering one more of either grade.
    for grade, pool in ((grades["B"], "PRIVATE"), (grades["F"], "TEMPORARY")):
        out = await result(sales1, CREATE, input={"name": "One Too Many", "maturityId": grade})
        assert out["__typename"] == "PoolCapReachedError", out
        assert (out["pool"], out["cap"]) == (pool, 1)

    assert await snapshot(services) == before
    found = await visible(sales1, temporary["id"])
    assert (found["pool"], found["maturityId"]) == ("TEMPORARY", grades["E"])
    assert log_actions(found) == ["create"]
    found = await visible(sales1, private["id"])
    assert (found["pool"], found["maturityId"]) == ("PRIVATE", grades["A"])
    assert log_actions(found) == ["create"]


async def test_public_grade_moves_an_owned_customer_to_public(
    sales1: GraphQLClient, gql: GraphQLClient, clock: FrozenClock, grades: dict[str, int]
) -> None:
    me = sales1.user_id
    private = await create(sales1, "Acme Steel", grades["A"])
    temporary = await create(sales1, "Blue River Foods", grades["E"])
    clock.advance(timedelta(hours=2))

    for customer, grade, from_pool in (
        (private, grades["G"], "private"),
        (temporary, grades["J"], "temporary"),
    ):
        out = await update_maturity(sales1, customer["id"], customer["name"], grade)
        assert out["__typename"] == "CustomerSuccess", out
        moved = out["customer"]
        assert (moved["pool"], moved["ownerId"], moved["temporaryOrigin"]) == (
            "PUBLIC",
            None,
            None,
        )
        assert moved["poolRelease"] is None
        assert when(moved["poolEnteredAt"]) == clock.now()
        found = await visible(await gql.as_user("sales3"), customer["id"])
        assert found["operationLog"]["nodes"][0] == {
            "action": "change_pool",
            "changes": {
                "maturityId": [customer["maturityId"], grade],
                "pool": [from_pool, "public"],
                "ownerId": [me, None],
            },
            "actorId": me,
        }
        assert log_actions(found) == ["create", "change_pool"]
