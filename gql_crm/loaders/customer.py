from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select

from gql_crm.db.engine import Database
from gql_crm.db.models import (
    Contact,
    Customer,
    CustomerShare,
    FollowUp,
    MaturityOption,
    OperationLog,
    OptionItem,
)
from gql_crm.loaders.batch import by_key, first_per_parent, grouped, in_keys


async def load_customers(database: Database, ids: Sequence[int]) -> list[Customer | None]:
    """Customers by id, deleted ones included: callers decide what a reader may see."""
    stmt = select(Customer).where(in_keys(Customer.id, ids))
    return await by_key(database, stmt, lambda c: c.id, ids)


async def load_contacts(database: Database, customer_ids: Sequence[int]) -> list[list[Contact]]:
    """Contacts per customer, primary first."""
    stmt = (
        select(Contact)
        .where(in_keys(Contact.customer_id, customer_ids))
        .order_by(Contact.is_primary.desc(), Contact.id)
    )
    return await grouped(database, stmt, lambda c: c.customer_id, customer_ids)


async def load_contacts_by_id(database: Database, ids: Sequence[int]) -> list[Contact | None]:
    stmt = select(Contact).where(in_keys(Contact.id, ids))
    return await by_key(database, stmt, lambda c: c.id, ids)


async def load_follow_ups(
    database: Database, keys: Sequence[tuple[int, int]]
) -> list[list[FollowUp]]:
    """The newest follow-ups per (customer id, how many)."""
    order: list[ColumnElement[Any]] = [FollowUp.followed_at.desc(), FollowUp.id.desc()]
    return await first_per_parent(database, FollowUp, FollowUp.customer_id, order, keys)


async def load_operation_log(
    database: Database, keys: Sequence[tuple[int, int]]
) -> list[list[OperationLog]]:
    """The newest operation-log entries per (customer id, how many)."""
    return await first_per_parent(
        database,
        OperationLog,
        OperationLog.entity_id,
        [OperationLog.id.desc()],
        keys,
        OperationLog.entity_type == "customer",
    )


async def load_shared_with(database: Database, customer_ids: Sequence[int]) -> list[list[int]]:
    stmt = (
        select(CustomerShare)
        .where(in_keys(CustomerShare.customer_id, customer_ids))
        .order_by(CustomerShare.created_at, CustomerShare.user_id)
    )
    shares = await grouped(database, stmt, lambda s: s.customer_id, customer_ids)
    return [[share.user_id for share in group] for group in shares]


async def load_options(database: Database, ids: Sequence[int]) -> list[OptionItem | None]:
    stmt = select(OptionItem).where(in_keys(OptionItem.id, ids))
    return await by_key(database, stmt, lambda o: o.id, ids)


async def load_maturity_options(
    database: Database, ids: Sequence[int]
) -> list[MaturityOption | None]:
    stmt = select(MaturityOption).where(in_keys(MaturityOption.id, ids))
    return await by_key(database, stmt, lambda o: o.id, ids)
