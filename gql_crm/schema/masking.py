"""GraphQL fields of sensitive values, built from their columns' declarations.

A type showing a sensitive column keeps its row as ``_model`` (``strawberry.Private``) and
declares the field with ``masked_field(Model, "column", ...)``: the mask comes from the
column, whether the caller sees the value unmasked from ``sees_details`` (the Python form of
``db.masking.details_visible``). Being resolvers, such fields never travel through a path
that copies plain attributes (compiled reads and direct subscriptions hand them to
Strawberry unless they say the same in SQL).
"""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from sqlalchemy import inspect

from gql_crm.auth.masking import MASKS, Mask, sees_customer_details, sees_user_details
from gql_crm.context import Info
from gql_crm.db.masking import sensitive_columns
from gql_crm.db.models import User

MASK_METADATA = "mask"

_NOTES = {
    "customer": " Masked unless you have customer:view_contact_details, manage the customer "
    "or it is shared with you.",
    "user": " Masked (138****5678, a***@example.com) unless it is yours or you have "
    "customer:view_contact_details.",
}


async def sees_details(info: Info, row: Any) -> bool:
    """Whether the caller sees ``row``'s sensitive values unmasked."""
    principal = info.context.principal
    if principal is None:
        return False
    if principal.sees_contact_details:
        return True
    if isinstance(row, User):
        return sees_user_details(principal, row.id)
    loaders = info.context.loaders
    customer, shared = await asyncio.gather(
        loaders.customer.load(row.customer_id), loaders.customer_shared_with.load(row.customer_id)
    )
    return sees_customer_details(principal, customer.owner_id if customer else None, shared)


def masked_field(model: type[Any], name: str, *, description: str) -> Any:
    """The Strawberry field showing ``model.name``, masked as its column declares."""
    mask: Mask = sensitive_columns(model)[name]
    hide = MASKS[mask]
    note = _NOTES["user" if model is User else "customer"]

    async def value(root: Any, info: Info) -> str | None:
        raw: str | None = getattr(root._model, name)
        return raw if await sees_details(info, root._model) else hide(raw)

    async def required(root: Any, info: Info) -> str:
        raw: str = getattr(root._model, name)
        return raw if await sees_details(info, root._model) else hide(raw) or raw

    nullable = inspect(model).columns[name].nullable
    return strawberry.field(
        resolver=value if nullable else required,
        description=description + note,
        metadata={MASK_METADATA: mask, "model": model, "column": name},
    )
