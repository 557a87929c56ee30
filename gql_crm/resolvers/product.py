from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.context import Info
from gql_crm.db.models import Product
from gql_crm.db.pagination import SortKey
from gql_crm.resolvers.common import mutate, paginate
from gql_crm.schema.common import (
    ConflictError,
    Connection,
    DeleteSuccess,
    InvalidInputError,
    NotFoundError,
    deleted,
    requires,
)
from gql_crm.schema.product import ProductFilterInput, ProductInput, ProductSuccess, ProductType
from gql_crm.services import product as product_service

ProductResult = Annotated[
    ProductSuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("ProductResult"),
]
DeleteProductResult = Annotated[
    DeleteSuccess | NotFoundError | ConflictError, strawberry.union("DeleteProductResult")
]


def _fields(data: ProductInput) -> product_service.ProductFields:
    return product_service.ProductFields(
        name=data.name,
        code=data.code,
        price=data.price,
        cost=data.cost,
        unit=data.unit,
        category_id=data.category_id,
        is_active=data.is_active,
    )


def _success(product: Product) -> ProductSuccess:
    return ProductSuccess(product=ProductType.from_model(product))


@strawberry.type
class ProductQuery:
    @strawberry.field(extensions=[requires(product_service.PRODUCT_VIEW)])
    async def product(self, info: Info, id: int) -> ProductType | None:
        principal = info.context.require_principal()
        stmt = product_service.product_query(principal, product_service.ProductFilter())
        async with info.context.services.database.reader() as session:
            product = await session.scalar(stmt.where(Product.id == id))
        return ProductType.from_model(product) if product else None

    @strawberry.field(
        extensions=[requires(product_service.PRODUCT_VIEW)], description="Sorted by code."
    )
    async def products(
        self,
        info: Info,
        filter: ProductFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ProductType]:
        f = filter or ProductFilterInput()
        stmt = product_service.product_query(
            info.context.require_principal(),
            product_service.ProductFilter(
                search=f.search, category_id=f.category_id, active_only=f.active_only
            ),
        )
        keys = [SortKey(Product.code), SortKey(Product.id)]
        return await paginate(
            info, stmt, keys, first=first, after=after, to_node=ProductType.from_model
        )


@strawberry.type
class ProductMutation:
    @strawberry.mutation(extensions=[requires(basic(Module.PRODUCT, Action.CREATE))])
    async def create_product(self, info: Info, input: ProductInput) -> ProductResult:
        return await mutate(
            info, lambda uow: product_service.create_product(uow, _fields(input)), _success
        )

    @strawberry.mutation(extensions=[requires(basic(Module.PRODUCT, Action.EDIT))])
    async def update_product(self, info: Info, id: int, input: ProductInput) -> ProductResult:
        return await mutate(
            info, lambda uow: product_service.update_product(uow, id, _fields(input)), _success
        )

    @strawberry.mutation(
        extensions=[requires(basic(Module.PRODUCT, Action.DELETE))],
        description="Refused for products on orders: deactivate those instead.",
    )
    async def delete_product(self, info: Info, id: int) -> DeleteProductResult:
        return await mutate(info, lambda uow: product_service.delete_product(uow, id), deleted)
