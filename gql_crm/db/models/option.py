from __future__ import annotations

import enum

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, str_enum


class OptionList(enum.StrEnum):
    """The customisable option lists (F2.3); maturity grades live in ``maturity_options``."""

    CATEGORY = "category"
    SOURCE = "source"
    STATUS = "status"
    INDUSTRY = "industry"
    FOLLOW_UP_METHOD = "follow_up_method"
    PRODUCT_CATEGORY = "product_category"
    OPPORTUNITY_TYPE = "opportunity_type"


class OptionItem(Base):
    __tablename__ = "option_items"
    __table_args__ = (UniqueConstraint("list", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list: Mapped[OptionList] = mapped_column(str_enum(OptionList, 32))
    label: Mapped[str] = mapped_column(String(50))
    sort_order: Mapped[int]


class FormName(enum.StrEnum):
    COMPANY = "company"
    CONTACT = "contact"
    INDIVIDUAL = "individual"  # the entry form of individual customers


class FormField(Base):
    """Whether an entry-form field is shown and required (F2.2)."""

    __tablename__ = "form_fields"

    form: Mapped[FormName] = mapped_column(
        str_enum(FormName, 16),
        primary_key=True,
    )
    field: Mapped[str] = mapped_column(
        String(40), primary_key=True, doc="The form field's name, as the input names it."
    )
    shown: Mapped[bool] = mapped_column(doc="Whether the form shows the field.")
    required: Mapped[bool] = mapped_column(doc="Whether the form requires a value.")
