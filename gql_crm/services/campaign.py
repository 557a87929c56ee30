"""Simple marketing campaigns (F12): a campaign's cost and period, the customers it reached
and brought, and what those customers' opportunities and orders come to; within the
campaign owner's data scope, deleted into the deleter's recycle bin."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from gql_crm.auth.permissions import Module, record_codes
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.base import ZERO
from gql_crm.db.engine import Reads
from gql_crm.db.models import Contact, Customer, Opportunity, Order
from gql_crm.db.models.campaign import Campaign, CampaignMember
from gql_crm.db.pagination import SortKey
from gql_crm.services.errors import InvalidInput
from gql_crm.services.records import Records, ordered, owned, same_parent
from gql_crm.services.unit_of_work import UnitOfWork

VIEW, CREATE, EDIT, DELETE = record_codes(Module.CAMPAIGN)
ORDER = (SortKey(Campaign.created_at, True), SortKey(Campaign.id, True))
_OWNED, _PERIOD = owned(), ordered("starts_on", "ends_on")


async def _check(uow: UnitOfWork, values: dict[str, Any], row: Any) -> dict[str, Any]:
    """An owner in scope, a period that does not end before it starts, no negative money."""
    for name in ("budget", "actual_cost"):
        if values[name] is not None and values[name] < 0:
            raise InvalidInput.single(
                "budget" if name == "budget" else "actualCost", "must not be negative"
            )
    values = {
        **values,
        "budget": values["budget"] or ZERO,
        "actual_cost": values["actual_cost"] or ZERO,
    }
    return await _PERIOD(uow, await _OWNED(uow, values, row), row)


campaigns = Records(
    Campaign, "campaign", visibility.campaign, binned=visibility.binned_campaign, check=_check,
    searched="name",
)  # fmt: skip
members = Records(
    CampaignMember, "campaign_member", visibility.campaign_member,
    parents={"campaign_id": campaigns, "customer_id": Records(Customer, "", visibility.customer)},
    check=same_parent("contact_id", Contact, "customer_id"), summary="customer_id",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class CampaignResults:
    customers_reached: int = 0
    customers_brought: int = 0
    opportunities: int = 0
    opportunity_amount: Decimal = ZERO
    orders: int = 0
    order_amount: Decimal = ZERO


async def load_results(
    database: Reads, principal: Principal, ids: Sequence[int]
) -> list[CampaignResults]:
    """Per campaign, over what the caller may see: the customers it reached and brought,
    and the opportunities and orders of the customers it brought (three statements)."""
    wanted = list(set(ids))
    member = visibility.campaign_member(principal)
    reached = (
        select(
            CampaignMember.campaign_id,
            func.count(func.distinct(CampaignMember.customer_id)),
            func.count(func.distinct(CampaignMember.customer_id)).filter(CampaignMember.brought),
        )
        .where(CampaignMember.campaign_id.in_(wanted), member)
        .group_by(CampaignMember.campaign_id)
    )
    brought = (
        select(CampaignMember.campaign_id, CampaignMember.customer_id)
        .where(CampaignMember.campaign_id.in_(wanted), CampaignMember.brought, member)
        .distinct()
        .subquery()
    )

    def produced(model: Any, rule: Any) -> Any:
        return (
            select(
                brought.c.campaign_id,
                func.count(model.id),
                func.coalesce(func.sum(model.amount), ZERO),
            )
            .join(model, model.customer_id == brought.c.customer_id)
            .where(rule(principal))
            .group_by(brought.c.campaign_id)
        )

    async with database.reader() as session:
        counts = {row[0]: row[1:] for row in await session.execute(reached)}
        opportunities = {
            row[0]: row[1:]
            for row in await session.execute(produced(Opportunity, visibility.opportunity))
        }
        orders = {
            row[0]: row[1:] for row in await session.execute(produced(Order, visibility.order))
        }
    results = {}
    for id in wanted:
        reached_n, brought_n = counts.get(id, (0, 0))
        opportunity_n, opportunity_amount = opportunities.get(id, (0, ZERO))
        order_n, order_amount = orders.get(id, (0, ZERO))
        results[id] = CampaignResults(
            reached_n, brought_n, opportunity_n, Decimal(opportunity_amount), order_n,
            Decimal(order_amount),
        )  # fmt: skip
    return [results[id] for id in ids]
