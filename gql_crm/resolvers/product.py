from __future__ import annotations

import strawberry

from gql_crm.context import Info
from gql_crm.loaders.product import load_products
from gql_crm.resolvers.kit import connection, mutation
from gql_crm.schema.common import ConflictError, DeleteSuccess, NotFoundError, requires
from gql_crm.schema.product import ProductFilterInput, ProductInput, ProductSuccess, ProductType
from gql_crm.services import product as service


@strawberry.type
class ProductQuery:
    @strawberry.field(
        extensions=[requires(service.PRODUCT_VIEW)], description="One product, by id."
    )
    async def product(self, info: Info, id: int) -> ProductType | None:
        product = await info.context.loaders.of(load_products).load(id)
        return ProductType.from_model(product) if product else None

    products = connection(
        service.product_query, ProductType, service.PRODUCT_ORDER, needs=service.PRODUCT_VIEW,
        description="Sorted by code.", filter=ProductFilterInput | None,
    )  # fmt: skip


@strawberry.type
class ProductMutation:
    create_product = mutation(
        service.create_product,
        ProductSuccess,
        needs=service.PRODUCT_CREATE,
        input=ProductInput,
        description="Adds a product to the catalog.",
    )
    update_product = mutation(
        service.update_product, ProductSuccess, needs=service.PRODUCT_EDIT, id=int,
        input=ProductInput,
        description="Changes a product; orders already signed keep their prices.",
    )  # fmt: skip
    delete_product = mutation(
        service.delete_product, DeleteSuccess, needs=service.PRODUCT_DELETE, id=int,
        failures=(NotFoundError, ConflictError), union="DeleteProductResult",
        description="Refused for products on orders: deactivate those instead.",
    )  # fmt: skip
