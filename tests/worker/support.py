"""What the job tests read back from the database: customers, release logs, notifications,
bans."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gql_crm.db.models import (
    Customer,
    CustomerBan,
    Notification,
    OperationLog,
    Pool,
)
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import select_rows


async def customer_rows(services: Services) -> dict[int, tuple[Pool, int | None]]:
    found = await select_rows(services, Customer.id, Customer.pool, Customer.owner_id)
    return {cid: (pool, owner) for cid, pool, owner in found}


async def release_logs(services: Services) -> list[tuple[int, int | None, dict[str, Any]]]:
    """(customer id, actor, changes) of every release log entry, by customer."""
    found = await select_rows(
        services,
        OperationLog.entity_id,
        OperationLog.actor_id,
        OperationLog.changes,
        where=[OperationLog.entity_type == "customer", OperationLog.action == "release"],
        order_by=[OperationLog.entity_id, OperationLog.id],
    )
    return [(cid, actor, changes) for cid, actor, changes in found]


async def notifications(services: Services, kind: str) -> list[tuple[int, int | None]]:
    """(user id, linked customer id) of every notification of this kind, in order."""
    found = await select_rows(
        services,
        Notification.user_id,
        Notification.link_id,
        where=[Notification.kind == kind],
        order_by=[Notification.link_id, Notification.id],
    )
    return [(uid, link) for uid, link in found]


async def notification_texts(
    services: Services, kind: str
) -> list[tuple[int, str, str, str, str | None, int | None]]:
    """(user id, category, title, body, link type, link id) of every notification of this
    kind, by link and id: what each former owner reads in the bell."""
    found = await select_rows(
        services,
        Notification.user_id,
        Notification.category,
        Notification.title,
        Notification.body,
        Notification.link_type,
        Notification.link_id,
        where=[Notification.kind == kind],
        order_by=[Notification.link_id, Notification.id],
    )
    return [
        (uid, str(category), title, body, link_type, link_id)
        for uid, category, title, body, link_type, link_id in found
    ]


async def ban_rows(services: Services) -> list[tuple[int, int, str, datetime | None]]:
    found = await select_rows(
        services,
        CustomerBan.customer_id,
        CustomerBan.user_id,
        CustomerBan.reason,
        CustomerBan.until,
        order_by=[CustomerBan.customer_id, CustomerBan.id],
    )
    return [(cid, uid, str(reason), until) for cid, uid, reason, until in found]
