from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, Money, reference


class Product(Base):
    """Something the company sells (F5.1); order lines copy its price, never refer to it live."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), doc="The product's name.")
    code: Mapped[str] = mapped_column(String(50), unique=True, doc="The product code, unique.")
    category_id: Mapped[int | None] = reference("option_items")
    price: Mapped[Decimal] = mapped_column(Money, doc="The list price of one unit.")
    cost: Mapped[Decimal] = mapped_column(Money, doc="What one unit costs us, for profit figures.")
    unit: Mapped[str] = mapped_column(
        String(20), doc="The unit it is sold in (piece, box, hour...)."
    )
    is_active: Mapped[bool] = mapped_column(doc="Whether it can be put on new orders.")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
