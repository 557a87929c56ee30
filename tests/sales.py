"""Shared set-up for the pipeline tests: customers, products and counts written directly."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from gql_crm.db.base import Base
from gql_crm.db.models import Customer, CustomerKind, OpportunityStage, Pool, Product, User
from gql_crm.services.unit_of_work import Services
from tests.conftest import START


async def user_ids(services: Services) -> dict[str, int]:
    async with services.database.reader() as session:
        return {u.login_name: u.id for u in await session.scalars(select(User))}


async def stage_ids(services: Services) -> dict[str, int]:
    async with services.database.reader() as session:
        return {s.name: s.id for s in await session.scalars(select(OpportunityStage))}


async def make_customer(
    services: Services, owner: str | None, name: str = "Acme", pool: Pool = Pool.PRIVATE
) -> int:
    users = await user_ids(services)
    async with services.database.writer() as session, session.begin():
        customer = Customer(
            kind=CustomerKind.ENTERPRISE,
            name=name,
            owner_id=users[owner] if owner else None,
            pool=pool if owner else Pool.PUBLIC,
            pool_entered_at=START,
            created_at=START,
            updated_at=START,
        )
        session.add(customer)
        await session.flush()
        return customer.id


async def make_product(services: Services, code: str, price: str = "100.00") -> int:
    from decimal import Decimal

    async with services.database.writer() as session, session.begin():
        product = Product(
            name=f"Product {code}",
            code=code,
            price=Decimal(price),
            cost=Decimal("0"),
            unit="piece",
            is_active=True,
            created_at=START,
            updated_at=START,
        )
        session.add(product)
        await session.flush()
        return product.id


async def count(services: Services, model: type[Base], *where: Any) -> int:
    async with services.database.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)
