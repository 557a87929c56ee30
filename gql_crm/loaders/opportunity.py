from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select

from gql_crm.auth.principal import Principal
from gql_crm.db.engine import Database
from gql_crm.db.models import Opportunity, OpportunityChange, OpportunityDetail, OpportunityStage
from gql_crm.loaders.batch import by_key, first_per_parent, grouped, in_keys
from gql_crm.services.opportunity import opportunity_visibility


async def load_stages(database: Database, ids: Sequence[int]) -> list[OpportunityStage | None]:
    stmt = select(OpportunityStage).where(in_keys(OpportunityStage.id, ids))
    return await by_key(database, stmt, lambda s: s.id, ids)


async def load_customer_opportunities(
    database: Database, principal: Principal, keys: Sequence[tuple[int, int]]
) -> list[list[Opportunity]]:
    """The newest visible opportunities per (customer id, how many)."""
    order: list[ColumnElement[Any]] = [Opportunity.updated_at.desc(), Opportunity.id.desc()]
    return await first_per_parent(
        database,
        Opportunity,
        Opportunity.customer_id,
        order,
        keys,
        opportunity_visibility(principal),
    )


async def load_history(
    database: Database, opportunity_ids: Sequence[int]
) -> list[list[OpportunityChange]]:
    """Stage history per opportunity, oldest first."""
    stmt = (
        select(OpportunityChange)
        .where(in_keys(OpportunityChange.opportunity_id, opportunity_ids))
        .order_by(OpportunityChange.id)
    )
    return await grouped(database, stmt, lambda c: c.opportunity_id, opportunity_ids)


async def load_details(
    database: Database, opportunity_ids: Sequence[int]
) -> list[list[OpportunityDetail]]:
    stmt = (
        select(OpportunityDetail)
        .where(in_keys(OpportunityDetail.opportunity_id, opportunity_ids))
        .order_by(OpportunityDetail.id)
    )
    return await grouped(database, stmt, lambda d: d.opportunity_id, opportunity_ids)
