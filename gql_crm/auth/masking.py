"""Masking of contact details for callers without the right to see them (F1.3).

A sensitive value declares its mask once, on its model column (``sensitive(Mask.PHONE)``
as the column's ``info``); the GraphQL types, the compiled SQL, the operation log and live
payloads all read that declaration (``db/masking.py`` finds the declared columns). Who sees
a value unmasked is one rule: ``sees_customer_details`` for values kept with a customer
(``db.visibility.contact_details`` in SQL, held to each other by a test) and
``sees_user_details`` for an employee's own.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # models import this module to declare their masks
    from gql_crm.auth.principal import Principal


class Mask(enum.StrEnum):
    PHONE = "phone"
    EMAIL = "email"


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


MASKS: dict[Mask, Callable[[str | None], str | None]] = {
    Mask.PHONE: mask_phone,
    Mask.EMAIL: mask_email,
}

MASK_KEY = "mask"


def sensitive(mask: Mask) -> dict[str, Any]:
    """The column ``info`` declaring a sensitive value: ``mapped_column(..., info=...)``."""
    return {MASK_KEY: mask}


def sees_customer_details(
    principal: Principal, owner_id: int | None, shared_with: Collection[int]
) -> bool:
    """Whether the principal sees unmasked the details kept with a customer owned by
    ``owner_id`` and shared with ``shared_with``: everything with the contact-details right,
    otherwise their own customers and those shared with them."""
    return (
        principal.sees_contact_details
        or (owner_id is not None and owner_id == principal.user_id)
        or principal.user_id in shared_with
    )


def sees_user_details(principal: Principal, user_id: int) -> bool:
    """Whether the principal sees an employee's own phone and e-mail unmasked: their own,
    or anyone's with the contact-details right."""
    return principal.sees_contact_details or principal.user_id == user_id
