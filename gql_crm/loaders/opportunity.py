from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select

from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.engine import Reads
from gql_crm.db.models import Opportunity, OpportunityChange, OpportunityDetail, OpportunityStage
from gql_crm.loaders.base import Loader, LoaderSet, loader, scoped_loader
from gql_crm.loaders.batch import children, first_per_parent, per_principal, rows_by_id, windowed

load_stages = rows_by_id(OpportunityStage)
# Stage history per opportunity, oldest first.
load_history = children(OpportunityChange.opportunity_id, OpportunityChange.id)
load_details = children(OpportunityDetail.opportunity_id, OpportunityDetail.id)


# Most recently changed first.
OPPORTUNITY_ORDER: list[ColumnElement[Any]] = [Opportunity.updated_at.desc(), Opportunity.id.desc()]


@per_principal
def _customer_opportunities(principal: Principal) -> Select[Opportunity]:
    return windowed(
        Opportunity, Opportunity.customer_id, OPPORTUNITY_ORDER, visibility.opportunity(principal)
    )


async def load_customer_opportunities(
    database: Reads, principal: Principal, keys: Sequence[tuple[int, int]]
) -> list[list[Opportunity]]:
    """The newest visible opportunities per (customer id, how many)."""
    stmt = _customer_opportunities(principal)
    return await first_per_parent(database, stmt, "customer_id", keys)


class OpportunityLoaders(LoaderSet):
    opportunity_stage: Loader[int, OpportunityStage | None] = loader(load_stages)
    # Keys: (customer id, how many newest); only those the caller may see.
    customer_opportunities: Loader[tuple[int, int], list[Opportunity]] = scoped_loader(
        load_customer_opportunities
    )
    opportunity_history: Loader[int, list[OpportunityChange]] = loader(load_history)
    opportunity_details: Loader[int, list[OpportunityDetail]] = loader(load_details)
