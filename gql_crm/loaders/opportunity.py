from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select

from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.engine import Reads
from gql_crm.db.models import Opportunity, OpportunityChange, OpportunityDetail, OpportunityStage
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
