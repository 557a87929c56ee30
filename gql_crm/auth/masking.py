"""Masking of contact details for callers without the right to see them (F1.3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_


def mask_phone(phone: str | None) -> str | None:
    """Keep the first three and last four digits: 13812345678 -> 138****5678."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return phone[:1] + "*" * (len(phone) - 1)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_email(email: str | None) -> str | None:
    """Keep the first character of the local part and the domain: a***@example.com."""
    if not email:
        return email
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else local[:1] + "***"


# The same masks in SQL, for responses built by the database (gql_crm.compiled); a test holds
# the two forms to each other.


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
