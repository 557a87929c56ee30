"""Sensitive columns as their models declare them, and their masks in PostgreSQL's SQL.

``sensitive_columns`` reads the declarations (``auth.masking.sensitive`` in a column's
``info``); every path that shows or records a value asks it rather than listing fields. The
SQL masks are those of ``auth/masking.py`` for responses the database builds (compiled
reads, ``gql_crm/direct/``), and ``details_visible`` is the rule of who sees them unmasked;
``tests/customer360/test_compiled.py`` holds both to their Python forms.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, inspect, or_, select
from sqlalchemy.orm import aliased

from gql_crm.auth.masking import MASK_KEY, Mask
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.base import Base
from gql_crm.db.models import Customer, User


def mask_phone_sql(phone: ColumnElement[Any]) -> ColumnElement[Any]:
    length = func.length(phone)
    return case(
        (or_(phone.is_(None), phone == ""), phone),
        (length <= 7, func.left(phone, 1).op("||")(func.repeat("*", length - 1))),
        else_=func.left(phone, 3)
        .op("||")(func.repeat("*", length - 7))
        .op("||")(func.right(phone, 4)),
    )


def mask_email_sql(email: ColumnElement[Any]) -> ColumnElement[Any]:
    local_initial = func.left(func.split_part(email, "@", 1), 1)
    at = func.strpos(email, "@")
    domain = func.substr(email, at + 1)
    return case(
        (or_(email.is_(None), email == ""), email),
        (and_(at > 0, domain != ""), local_initial.op("||")("***@").op("||")(domain)),
        else_=local_initial.op("||")("***"),
    )


SQL_MASKS: dict[Mask, Callable[[ColumnElement[Any]], ColumnElement[Any]]] = {
    Mask.PHONE: mask_phone_sql,
    Mask.EMAIL: mask_email_sql,
}


_DECLARED: dict[type[Any], dict[str, Mask]] = {}


def sensitive_columns(model: type[Any]) -> dict[str, Mask]:
    """The model's sensitive attributes (Python names) and their masks."""
    masks = _DECLARED.get(model)
    if masks is None:
        masks = _DECLARED[model] = {
            attribute.key: Mask(attribute.columns[0].info[MASK_KEY])
            for attribute in inspect(model).column_attrs
            if MASK_KEY in attribute.columns[0].info
        }
    return masks


def sensitive_models() -> list[type[Any]]:
    """Every mapped model with at least one sensitive column."""
    models = (mapper.class_ for mapper in Base.registry.mappers)
    return sorted((m for m in models if sensitive_columns(m)), key=lambda m: m.__name__)


def details_visible(principal: Principal, model: type[Any]) -> ColumnElement[bool]:
    """Whether the principal sees the current ``model`` row's sensitive values unmasked:
    a user's own details; for anything kept with a customer, ``visibility.contact_details``
    of that customer. (``schema/masking.py`` says the same in Python.)"""
    if model is User:
        return User.id == principal.user_id
    customer_id = getattr(model, "customer_id", None)
    if customer_id is None:
        raise TypeError(f"{model.__name__} has sensitive columns but no rule for who sees them")
    # The customer's row by its key, for each row shown: an EXISTS here is turned by
    # PostgreSQL into a hash of every customer the rule lets the caller see, built for a page
    # of ten rows.
    customer = aliased(Customer)
    rule = visibility.contact_details(principal, customer, probed=True)
    seen = select(rule).where(customer.id == customer_id).scalar_subquery()
    return func.coalesce(seen, false())


def masked_sql(principal: Principal, model: type[Any], name: str) -> ColumnElement[Any]:
    """The sensitive column ``model.name`` as the principal may see it."""
    column: ColumnElement[Any] = getattr(model, name)
    if principal.sees_contact_details:
        return column
    mask = SQL_MASKS[sensitive_columns(model)[name]]
    return case((details_visible(principal, model), column), else_=mask(column))
