"""Products (F5.1): what order lines are made of."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, exists, or_, select

from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.auth.principal import Principal
from gql_crm.db.models import OptionList, OrderLine, Product
from gql_crm.services.errors import Conflict, NotFound, Problems
from gql_crm.services.money import cents, money_problem
from gql_crm.services.option import option_problem
from gql_crm.services.unit_of_work import UnitOfWork, diff
from gql_crm.services.validation import text_problem

PRODUCT_VIEW = basic(Module.PRODUCT, Action.VIEW)
PRODUCT_CREATE = basic(Module.PRODUCT, Action.CREATE)
PRODUCT_EDIT = basic(Module.PRODUCT, Action.EDIT)
PRODUCT_DELETE = basic(Module.PRODUCT, Action.DELETE)


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
    problems = Problems()
    for name, value, limit in (("name", fields.name, 200), ("code", fields.code, 50)):
        if p := text_problem(value, max_length=limit):
            problems.add(name, p)
    if p := text_problem(fields.unit, max_length=20):
        problems.add("unit", p)
    for name, amount in (("price", fields.price), ("cost", fields.cost)):
        if p := money_problem(amount):
            problems.add(name, p)
    if p := await option_problem(uow.session, OptionList.PRODUCT_CATEGORY, fields.category_id):
        problems.add("categoryId", p)
    problems.raise_if_any()
    taken = select(Product.id).where(Product.code == fields.code.strip())
    if product_id is not None:
        taken = taken.where(Product.id != product_id)
    if await uow.session.scalar(taken) is not None:
        raise Conflict(f"Another product already has the code '{fields.code.strip()}'.", "code")


def _values(fields: ProductFields) -> dict[str, object]:
    return {
        "name": fields.name.strip(),
        "code": fields.code.strip(),
        "price": cents(fields.price),
        "cost": cents(fields.cost),
        "unit": fields.unit.strip(),
        "category_id": fields.category_id,
        "is_active": fields.is_active,
    }


async def create_product(uow: UnitOfWork, fields: ProductFields) -> Product:
    await _check(uow, fields, None)
    product = Product(**_values(fields), created_at=uow.now, updated_at=uow.now)
    uow.session.add(product)
    await uow.session.flush()
    uow.log("product", product.id, "create", {"code": [None, product.code]})
    return product


async def _get(uow: UnitOfWork, product_id: int) -> Product:
    product = await uow.session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise NotFound("Product", product_id)
    return product


async def update_product(uow: UnitOfWork, product_id: int, fields: ProductFields) -> Product:
    product = await _get(uow, product_id)
    await _check(uow, fields, product_id)
    values = _values(fields)
    before = {name: getattr(product, name) for name in values}
    for name, value in values.items():
        setattr(product, name, value)
    product.updated_at = uow.now
    if changes := diff(
        {k: str(v) if isinstance(v, Decimal) else v for k, v in before.items()},
        {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()},
    ):
        uow.log("product", product.id, "update", changes)
    return product


async def delete_product(uow: UnitOfWork, product_id: int) -> int:
    product = await _get(uow, product_id)
    if await uow.session.scalar(select(exists().where(OrderLine.product_id == product_id))):
        raise Conflict(
            f"Product '{product.code}' is on orders; deactivate it instead (isActive: false).",
            "id",
        )
    await uow.session.delete(product)
    uow.log("product", product_id, "delete", {"code": [product.code, None]})
    return product_id


@dataclass(frozen=True, slots=True)
class ProductFilter:
    search: str | None = None
    category_id: int | None = None
    active_only: bool = False


def product_query(principal: Principal, filters: ProductFilter) -> Select[Product]:
    stmt = select(Product)
    if filters.search and filters.search.strip():
        term = filters.search.strip()
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
