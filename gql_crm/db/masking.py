"""The masks of ``auth/masking.py`` in PostgreSQL's SQL, for responses the database builds
(``gql_crm.compiled``); ``tests/customer360/test_compiled.py`` holds the two forms to each
other."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_


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
