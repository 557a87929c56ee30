from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import Product
from gql_crm.loaders.product import load_products
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
from gql_crm.schema.kit import values_of
from gql_crm.schema.product import ProductFilterInput, ProductInput, ProductSuccess, ProductType
from gql_crm.services import product as service
from gql_crm.services.product import ProductFields

ProductResult = Annotated[
    ProductSuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("ProductResult"),
]
DeleteProductResult = Annotated[
    DeleteSuccess | NotFoundError | ConflictError, strawberry.union("DeleteProductResult")
]


def _success(product: Product) -> ProductSuccess:
    return ProductSuccess(product=ProductType.from_model(product))


@strawberry.type
class ProductQuery:
    @strawberry.field(extensions=[requires(service.PRODUCT_VIEW)])
    async def product(self, info: Info, id: int) -> ProductType | None:
        product = await info.context.loaders.of(load_products).load(id)
        return ProductType.from_model(product) if product else None

    @strawberry.field(extensions=[requires(service.PRODUCT_VIEW)], description="Sorted by code.")
    async def products(
        self,
        info: Info,
        filter: ProductFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ProductType]:
        filters = service.ProductFilter(**values_of(filter or ProductFilterInput()))
        stmt = service.product_query(info.context.require_principal(), filters)
        return await paginate(
            info, stmt, service.PRODUCT_ORDER, first=first, after=after,
            to_node=ProductType.from_model,
        )  # fmt: skip


@strawberry.type
class ProductMutation:
    @strawberry.mutation(extensions=[requires(service.PRODUCT_CREATE)])
    async def create_product(self, info: Info, input: ProductInput) -> ProductResult:
        fields = ProductFields(**values_of(input))
        return await mutate(info, lambda uow: service.create_product(uow, fields), _success)

    @strawberry.mutation(extensions=[requires(service.PRODUCT_EDIT)])
    async def update_product(self, info: Info, id: int, input: ProductInput) -> ProductResult:
        fields = ProductFields(**values_of(input))
        return await mutate(info, lambda uow: service.update_product(uow, id, fields), _success)

    @strawberry.mutation(
        extensions=[requires(service.PRODUCT_DELETE)],
        description="Refused for products on orders: deactivate those instead.",
    )
    async def delete_product(self, info: Info, id: int) -> DeleteProductResult:
        return await mutate(info, lambda uow: service.delete_product(uow, id), deleted)
