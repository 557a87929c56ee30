"""Products (F5.1): what order lines are made of."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, exists, or_, select

from gql_crm.auth.permissions import Module, record_codes
from gql_crm.auth.principal import Principal
from gql_crm.db.models import OptionList, OrderLine, Product
from gql_crm.db.pagination import SortKey
from gql_crm.services.errors import Conflict, InvalidInput
from gql_crm.services.money import cents
from gql_crm.services.option import option_problem
from gql_crm.services.unit_of_work import UnitOfWork

PRODUCT_VIEW, PRODUCT_CREATE, PRODUCT_EDIT, PRODUCT_DELETE = record_codes(Module.PRODUCT)
PRODUCT_ORDER = (SortKey(Product.code), SortKey(Product.id))


@dataclass(frozen=True, slots=True)
class ProductFields:
    name: str
    code: str
    price: Decimal
    cost: Decimal = Decimal("0")
    unit: str = "piece"
    category_id: int | None = None
    is_active: bool = True


async def _check(uow: UnitOfWork, fields: ProductFields, product_id: int | None) -> None:
    if p := await option_problem(uow.session, OptionList.PRODUCT_CATEGORY, fields.category_id):
        raise InvalidInput.single("categoryId", p)
    taken = select(Product.id).where(Product.code == fields.code)
    if product_id is not None:
        taken = taken.where(Product.id != product_id)
    if await uow.session.scalar(taken) is not None:
        raise Conflict(f"Another product already has the code '{fields.code}'.", "code")


def _values(fields: ProductFields) -> dict[str, Any]:
    return {**asdict(fields), "price": cents(fields.price), "cost": cents(fields.cost)}


product_values = _values  # the columns of a product with these fields


async def create_product(uow: UnitOfWork, input: dict[str, Any]) -> Product:
    fields = ProductFields(**input)
    await _check(uow, fields, None)
    return await uow.add("product", Product(**_values(fields)), code=fields.code)


async def update_product(uow: UnitOfWork, id: int, input: dict[str, Any]) -> Product:
    fields = ProductFields(**input)
    product = await uow.find(Product, id)
    await _check(uow, fields, id)
    uow.apply("product", product, _values(fields))
    return product


async def delete_product(uow: UnitOfWork, id: int) -> int:
    product = await uow.find(Product, id)
    if await uow.session.scalar(select(exists().where(OrderLine.product_id == id))):
        raise Conflict(
            f"Product '{product.code}' is on orders; deactivate it instead (isActive: false).",
            "id",
        )
    await uow.session.delete(product)
    uow.log("product", id, "delete", {"code": [product.code, None]})
    return id


@dataclass(frozen=True, slots=True)
class ProductFilter:
    search: str | None = None
    category_id: int | None = None
    active_only: bool = False


def product_query(principal: Principal, filter: dict[str, Any] | None) -> Select[Product]:
    filters = ProductFilter(**(filter or {}))
    stmt = select(Product)
    if term := (filters.search or "").strip():
        stmt = stmt.where(
            or_(
                Product.name.icontains(term, autoescape=True),
                Product.code.icontains(term, autoescape=True),
            )
        )
    if filters.category_id is not None:
        stmt = stmt.where(Product.category_id == filters.category_id)
    if filters.active_only:
        stmt = stmt.where(Product.is_active.is_(True))
    return stmt
