from __future__ import annotations

from gql_crm.db.models import Product
from gql_crm.loaders.base import Loader, LoaderSet, loader
from gql_crm.loaders.batch import rows_by_id

load_products = rows_by_id(Product)


class ProductLoaders(LoaderSet):
    product: Loader[int, Product | None] = loader(load_products)
