from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import Product
from gql_crm.schema.option import OptionType


@strawberry.type(name="Product", description="Something the company sells (F5.1).")
class ProductType:
    id: int
    name: str
    code: str
    category_id: int | None
    price: Decimal
    cost: Decimal
    unit: str
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, p: Product) -> ProductType:
        return cls(
            id=p.id,
            name=p.name,
            code=p.code,
            category_id=p.category_id,
            price=p.price,
            cost=p.cost,
            unit=p.unit,
            is_active=p.is_active,
            created_at=p.created_at,
            updated_at=p.updated_at,
        )

    @strawberry.field
    async def category(self, info: Info) -> OptionType | None:
        if self.category_id is None:
            return None
        item = await info.context.loaders.option.load(self.category_id)
        return OptionType.from_model(item) if item else None


@strawberry.input
class ProductInput:
    name: str
    code: str = strawberry.field(description="Unique among products.")
    price: Decimal
    cost: Decimal = Decimal("0")
    unit: str = "piece"
    category_id: int | None = strawberry.field(
        default=None, description="An option of the PRODUCT_CATEGORY list."
    )
    is_active: bool = True


@strawberry.input
class ProductFilterInput:
    search: str | None = strawberry.field(default=None, description="Name or code contains.")
    category_id: int | None = None
    active_only: bool = False


@strawberry.type
class ProductSuccess:
    product: ProductType
