"""Building customers straight in the database for the job tests (many, at chosen times)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select

from gql_crm.db.models import (
    Customer,
    CustomerBan,
    CustomerKind,
    Notification,
    OperationLog,
    Pool,
    TemporaryOrigin,
)
from gql_crm.services.unit_of_work import Services


@dataclass(frozen=True, slots=True)
class Seed:
    name: str
    pool: Pool
    owner_id: int | None
    pool_entered_at: datetime
    origin: TemporaryOrigin | None = None
    last_follow_up_at: datetime | None = None
    closed_won_at: datetime | None = None
    deleted_at: datetime | None = None


async def seed_customers(services: Services, seeds: list[Seed], now: datetime) -> dict[str, int]:
    """Insert the customers as they would stand after their history; name -> id."""
    rows: list[dict[str, Any]] = [
        {
            "kind": CustomerKind.ENTERPRISE,
            "name": s.name,
            "pool": s.pool,
            "owner_id": s.owner_id,
            "pool_entered_at": s.pool_entered_at,
            "temporary_origin": s.origin
            if s.origin or s.pool is not Pool.TEMPORARY
            else TemporaryOrigin.ENTERED,
            "last_follow_up_at": s.last_follow_up_at,
            "closed_won_at": s.closed_won_at,
            "deleted_at": s.deleted_at,
            "created_at": now,
            "updated_at": now,
        }
        for s in seeds
    ]
    async with services.database.writer() as session, session.begin():
        result = await session.execute(
            insert(Customer).returning(Customer.id, sort_by_parameter_order=True), rows
        )
        return dict(zip([s.name for s in seeds], result.scalars(), strict=True))


async def customer_rows(services: Services) -> dict[int, tuple[Pool, int | None]]:
    async with services.database.reader() as session:
        rows = await session.execute(select(Customer.id, Customer.pool, Customer.owner_id))
        return {cid: (pool, owner) for cid, pool, owner in rows}


async def release_logs(services: Services) -> list[tuple[int, int | None, dict[str, Any]]]:
    """(customer id, actor, changes) of every release log entry, by customer."""
    async with services.database.reader() as session:
        rows = await session.execute(
            select(OperationLog.entity_id, OperationLog.actor_id, OperationLog.changes)
            .where(OperationLog.entity_type == "customer", OperationLog.action == "release")
            .order_by(OperationLog.entity_id, OperationLog.id)
        )
        return [(cid, actor, changes) for cid, actor, changes in rows]


async def notifications(services: Services, kind: str) -> list[tuple[int, int | None]]:
    """(user id, linked customer id) of every notification of this kind, in order."""
    async with services.database.reader() as session:
        rows = await session.execute(
            select(Notification.user_id, Notification.link_id)
            .where(Notification.kind == kind)
            .order_by(Notification.link_id, Notification.id)
        )
        return [(uid, link) for uid, link in rows]


async def notification_texts(
    services: Services, kind: str
) -> list[tuple[int, str, str, str, str | None, int | None]]:
    """(user id, category, title, body, link type, link id) of every notification of this
    kind, by link and id: what each former owner reads in the bell."""
    async with services.database.reader() as session:
        rows = await session.execute(
            select(
                Notification.user_id,
                Notification.category,
                Notification.title,
                Notification.body,
                Notification.link_type,
                Notification.link_id,
            )
            .where(Notification.kind == kind)
            .order_by(Notification.link_id, Notification.id)
        )
        return [
            (uid, str(category), title, body, link_type, link_id)
            for uid, category, title, body, link_type, link_id in rows
        ]


async def ban_rows(services: Services) -> list[tuple[int, int, str, datetime | None]]:
    async with services.database.reader() as session:
        rows = await session.execute(
            select(
                CustomerBan.customer_id, CustomerBan.user_id, CustomerBan.reason, CustomerBan.until
            ).order_by(CustomerBan.customer_id, CustomerBan.id)
        )
        return [(cid, uid, str(reason), until) for cid, uid, reason, until in rows]


async def count(services: Services, model: Any) -> int:
    async with services.database.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)
