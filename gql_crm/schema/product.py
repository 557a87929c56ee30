from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from gql_crm.db.models import Product
from gql_crm.schema.constraints import constraint
from gql_crm.schema.kit import ModelInput, ModelType, related
from gql_crm.schema.option import OptionType

MONEY = constraint(minimum=0, scale=2)


@strawberry.type(name="Product", description="Something the company sells.")
class ProductType(ModelType, model=Product):
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

    category = related(OptionType, "category_id", "option")


@strawberry.input
class ProductInput(ModelInput, model=Product):
    name: str = strawberry.field(
        metadata=constraint(max_length=200, single_line=True, required=True)
    )
    code: str = strawberry.field(
        description="Unique among products.",
        metadata=constraint(max_length=50, single_line=True, required=True),
    )
    price: Decimal = strawberry.field(metadata=MONEY)
    cost: Decimal = strawberry.field(default=Decimal("0"), metadata=MONEY)
    unit: str = strawberry.field(
        default="piece", metadata=constraint(max_length=20, single_line=True, required=True)
    )
    category_id: int | None = strawberry.field(
        default=None, description="An option of the PRODUCT_CATEGORY list."
    )
    is_active: bool = True


@strawberry.input
class ProductFilterInput:
    search: str | None = strawberry.field(default=None, description="Name or code contains.")
    category_id: int | None = None
    active_only: bool = strawberry.field(
        default=False, description="Only products that can be put on new orders."
    )


@strawberry.type
class ProductSuccess:
    product: ProductType
