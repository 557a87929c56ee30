"""The pool release job (F1.4, F10) on a constructed data set: exactly the due customers move,
with the right bans, log entries and notifications; re-runs, crashes and races change nothing
more."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from gql_crm.clock import FrozenClock
from gql_crm.db.models import (
    CustomerShare,
    Notification,
    NotificationCategory,
    Pool,
    TemporaryOrigin,
)
from gql_crm.services import pool_release
from gql_crm.services.pool_release import release_pool
from gql_crm.services.unit_of_work import Services
from gql_crm.subscriptions.bus import Event, user_channel
from tests.fixtures.factories import Seed, seed_customers
from tests.fixtures.users import user_id
from tests.pool.support import snapshot
from tests.worker.support import (
    ban_rows,
    customer_rows,
    notification_texts,
    notifications,
    release_logs,
)

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


async def test_exactly_the_due_customers_fall_back_with_the_right_bans(
    services: Services, clock: FrozenClock
) -> None:
    now = clock.now()
    sales1 = await user_id(services, "sales1")
    sales2 = await user_id(services, "sales2")
    temporary, private = Pool.TEMPORARY, Pool.PRIVATE
    ids = await seed_customers(
        services,
        [
            # temporary pool: 7 days without a follow-up
            Seed("temp exactly at the limit", temporary, sales1, now - 7 * DAY),
            Seed("temp one second before", temporary, sales1, now - 7 * DAY + SECOND),
            Seed(
                "temp claimed, one second after",
                temporary,
                sales2,
                now - 7 * DAY - SECOND,
                origin=TemporaryOrigin.CLAIMED,
            ),
            Seed(
                "temp followed up 6 days ago",
                temporary,
                sales1,
                now - 20 * DAY,
                last_follow_up_at=now - 6 * DAY,
            ),
            Seed(
                "temp followed up too long ago",
                temporary,
                sales2,
                now - 20 * DAY,
                last_follow_up_at=now - 7 * DAY - SECOND,
            ),
            Seed(
                "temp closed won", temporary, sales1, now - 60 * DAY, closed_won_at=now - 50 * DAY
            ),
            Seed("temp deleted", temporary, sales1, now - 60 * DAY, deleted_at=now - DAY),
            # private pool: 30 days without contact
            Seed("private exactly at the limit", private, sales1, now - 30 * DAY),
            Seed("private one second before", private, sales2, now - 30 * DAY + SECOND),
            Seed(
                "private contacted 29 days ago",
                private,
                sales1,
                now - 90 * DAY,
                last_follow_up_at=now - 29 * DAY,
            ),
            Seed(
                "private closed won", private, sales2, now - 90 * DAY, closed_won_at=now - 80 * DAY
            ),
            # pools without owner never fall back
            Seed("public for ages", Pool.PUBLIC, None, now - 400 * DAY),
            Seed("special for ages", Pool.SPECIAL, None, now - 400 * DAY),
        ],
        now,
    )
    async with services.database.writer() as session, session.begin():
        await session.execute(
            insert(CustomerShare).values(
                customer_id=ids["temp exactly at the limit"],
                user_id=sales2,
                shared_by_id=sales1,
                created_at=now,
            )
        )
    before = await customer_rows(services)

    released = await release_pool(services, batch_size=2)  # several batches

    expected = {
        "temp exactly at the limit": (sales1, "temporary_entered", now + 30 * DAY),
        "temp claimed, one second after": (sales2, "public_claimed", now + 15 * DAY),
        "temp followed up too long ago": (sales2, "temporary_entered", now + 30 * DAY),
        "private exactly at the limit": (sales1, "private_no_contact", None),
    }
    expected_ids = sorted(ids[name] for name in expected)
    assert released == expected_ids
    after = await customer_rows(services)
    for name, cid in ids.items():
        if name in expected:
            assert after[cid] == (Pool.PUBLIC, None), name
        else:
            assert after[cid] == before[cid], name
    assert await ban_rows(services) == sorted(
        (ids[name], owner, reason, until) for name, (owner, reason, until) in expected.items()
    )
    logs = await release_logs(services)
    assert logs == sorted(
        (
            ids[name],
            None,
            {
                "pool": ["private" if "private" in name else "temporary", "public"],
                "ownerId": [owner, None],
            },
        )
        for name, (owner, _reason, _until) in expected.items()
    )
    assert await notifications(services, "customer.released") == sorted(
        ((owner, ids[name]) for name, (owner, _r, _u) in expected.items()), key=lambda n: n[1]
    )
    # Word for word what the former owners read (company time is Asia/Shanghai, UTC+8).
    temporary_why = "Released: no follow-up within the temporary-pool release time."
    assert await notification_texts(services, "customer.released") == sorted(
        [
            (
                sales1,
                "personal",
                "temp exactly at the limit went back to the public pool",
                f"{temporary_why} You may claim it again after 2026-04-01 17:00.",
                "customer",
                ids["temp exactly at the limit"],
            ),
            (
                sales2,
                "personal",
                "temp claimed, one second after went back to the public pool",
                f"{temporary_why} You may claim it again after 2026-03-17 17:00.",
                "customer",
                ids["temp claimed, one second after"],
            ),
            (
                sales2,
                "personal",
                "temp followed up too long ago went back to the public pool",
                f"{temporary_why} You may claim it again after 2026-04-01 17:00.",
                "customer",
                ids["temp followed up too long ago"],
            ),
            (
                sales1,
                "personal",
                "private exactly at the limit went back to the public pool",
                "Released: not contacted within the private-pool no-contact time. "
                "You may never claim it again.",
                "customer",
                ids["private exactly at the limit"],
            ),
        ],
        key=lambda n: n[5],
    )
    state = await snapshot(services)
    assert not [s for s in state.shares if s[0] == ids["temp exactly at the limit"]]

    # A second run at the same moment finds nothing to do and changes nothing.
    assert await release_pool(services) == []
    assert await snapshot(services) == state
    assert await notifications(services, "customer.released") == sorted(
        ((owner, ids[name]) for name, (owner, _r, _u) in expected.items()), key=lambda n: n[1]
    )


async def test_after_each_batch_the_former_owners_bells_ring_and_customer_watchers_hear(
    services: Services, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = clock.now()
    sales1 = await user_id(services, "sales1")
    sales2 = await user_id(services, "sales2")
    ids = await seed_customers(
        services,
        [
            Seed("Alpha", Pool.TEMPORARY, sales1, now - 8 * DAY),
            Seed("Beta", Pool.PRIVATE, sales2, now - 31 * DAY),
            Seed("Gamma", Pool.TEMPORARY, sales1, now - 8 * DAY, origin=TemporaryOrigin.CLAIMED),
        ],
        now,
    )
    alpha, beta, gamma = ids["Alpha"], ids["Beta"], ids["Gamma"]
    # Unread counts count what was there: an unread system notice, not a read personal one.
    async with services.database.writer() as session, session.begin():
        session.add_all(
            [
                Notification(
                    user_id=sales1,
                    category=NotificationCategory.SYSTEM,
                    kind="announcement",
                    title="Office closed Friday",
                    created_at=now,
                ),
                Notification(
                    user_id=sales1,
                    category=NotificationCategory.PERSONAL,
                    kind="approval",
                    title="Seen already",
                    read_at=now,
                    created_at=now,
                ),
            ]
        )
    published: list[Event] = []
    real_publish = services.bus.publish

    async def record(*events: Event) -> None:
        published.extend(events)
        await real_publish(*events)

    monkeypatch.setattr(services.bus, "publish", record)

    assert await release_pool(services, batch_size=2) == [alpha, beta, gamma]

    async with services.database.reader() as session:
        rows = await session.execute(
            select(Notification.link_id, Notification.id).where(
                Notification.kind == "customer.released"
            )
        )
        notification_of = {link_id: notification_id for link_id, notification_id in rows}

    def bell(owner: int, customer: int, title: str, body: str, unread: list[int]) -> Any:
        payload = {
            "category": "personal",
            "kind": "customer.released",
            "title": title,
            "body": body,
            "linkType": "customer",
            "linkId": customer,
            "createdAt": now.isoformat(),
            "unread": unread,
        }
        return (user_channel(owner), "notification.created", notification_of[customer], payload)

    def watchers(*customers: int) -> Any:
        payload = {"customerIds": list(customers), "pool": "public", "ownerId": None}
        return ("customers", "customer.released", None, payload)

    claimed_ban = "You may claim it again after 2026-03-17 17:00."
    assert [(e.channel, e.type, e.id, e.payload) for e in published] == [
        # first batch: Alpha and Beta, one event per former owner, then one for watchers
        bell(
            sales1,
            alpha,
            "Alpha went back to the public pool",
            "Released: no follow-up within the temporary-pool release time. "
            "You may claim it again after 2026-04-01 17:00.",
            [1, 1],
        ),
        bell(
            sales2,
            beta,
            "Beta went back to the public pool",
            "Released: not contacted within the private-pool no-contact time. "
            "You may never claim it again.",
            [1, 0],
        ),
        watchers(alpha, beta),
        # second batch: Gamma; sales1's counts now hold both releases
        bell(
            sales1,
            gamma,
            "Gamma went back to the public pool",
            f"Released: no follow-up within the temporary-pool release time. {claimed_ban}",
            [2, 1],
        ),
        watchers(gamma),
    ]


async def _due(services: Services, clock: FrozenClock, n: int) -> list[int]:
    owners = [await user_id(services, login) for login in ("sales1", "sales2", "sales3")]
    now = clock.now()
    ids = await seed_customers(
        services,
        [
            Seed(f"due {i}", Pool.TEMPORARY, owners[i % 3], now - 8 * DAY - i * SECOND)
            for i in range(n)
        ],
        now,
    )
    return sorted(ids.values())


async def test_a_run_killed_between_batches_leaves_whole_batches_and_the_next_run_finishes(
    services: Services, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    due = await _due(services, clock, 7)
    calls = 0
    real_announce = pool_release.announce_release

    def crash_in_second_batch(*args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:  # after the second batch's writes, before its commit
            raise RuntimeError("worker killed")
        real_announce(*args)

    monkeypatch.setattr(pool_release, "announce_release", crash_in_second_batch)
    with pytest.raises(RuntimeError, match="worker killed"):
        await release_pool(services, batch_size=2)

    rows = await customer_rows(services)
    assert [cid for cid in due if rows[cid][0] is Pool.PUBLIC] == due[:2]
    assert all(rows[cid][1] is not None for cid in due[2:])  # the rest still owned, untouched
    assert [log[0] for log in await release_logs(services)] == due[:2]
    assert [ban[0] for ban in await ban_rows(services)] == due[:2]
    assert [n[1] for n in await notifications(services, "customer.released")] == due[:2]

    monkeypatch.setattr(pool_release, "announce_release", real_announce)
    assert await release_pool(services, batch_size=2) == due[2:]
    assert [log[0] for log in await release_logs(services)] == due
    assert [ban[0] for ban in await ban_rows(services)] == due
    assert [n[1] for n in await notifications(services, "customer.released")] == due


async def test_two_concurrent_runs_release_each_customer_exactly_once(
    services: Services, clock: FrozenClock
) -> None:
    if services.database.dialect != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL row locks")
    due = await _due(services, clock, 240)

    first, second = await asyncio.gather(
        release_pool(services, batch_size=15), release_pool(services, batch_size=15)
    )

    assert sorted(first + second) == due
    assert not set(first) & set(second)
    assert first and second  # both took part
    assert [log[0] for log in await release_logs(services)] == due
    assert [ban[0] for ban in await ban_rows(services)] == due
    assert [n[1] for n in await notifications(services, "customer.released")] == due
    assert await release_pool(services) == []
