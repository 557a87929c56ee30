from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from sqlalchemy import Select

from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.engine import Reads
from gql_crm.db.models import Opportunity, OpportunityChange, OpportunityDetail, OpportunityStage
from gql_crm.db.pagination import Page, SortKey
from gql_crm.loaders.base import Loader, LoaderSet, loader, scoped_loader
from gql_crm.loaders.batch import (
    Slice,
    children,
    first_per_parent,
    per_principal,
    rows_by_id,
    windowed,
)

load_stages = rows_by_id(OpportunityStage)
# Stage history per opportunity, oldest first.
load_history = children(OpportunityChange.opportunity_id, OpportunityChange.id)
load_details = children(OpportunityDetail.opportunity_id, OpportunityDetail.id)


# Most recently changed first.
OPPORTUNITY_ORDER = [SortKey(Opportunity.updated_at, True), SortKey(Opportunity.id, True)]


@per_principal
def _customer_opportunities(principal: Principal) -> Callable[[bool], Select[Opportunity]]:
    visible = visibility.opportunity(principal)
    return functools.cache(
        lambda after: windowed(
            Opportunity, Opportunity.customer_id, OPPORTUNITY_ORDER, visible, after=after
        )
    )


async def load_customer_opportunities(
    database: Reads, principal: Principal, keys: Sequence[Slice]
) -> list[Page[Opportunity]]:
    """Pages of a customer's opportunities the caller may see, most recently changed first."""
    stmt = _customer_opportunities(principal)
    return await first_per_parent(database, stmt, "customer_id", keys, OPPORTUNITY_ORDER)


class OpportunityLoaders(LoaderSet):
    opportunity_stage: Loader[int, OpportunityStage | None] = loader(load_stages)
    # Pages per customer; only those the caller may see.
    customer_opportunities: Loader[Slice, Page[Opportunity]] = scoped_loader(
        load_customer_opportunities
    )
    opportunity_history: Loader[int, list[OpportunityChange]] = loader(load_history)
    opportunity_details: Loader[int, list[OpportunityDetail]] = loader(load_details)
