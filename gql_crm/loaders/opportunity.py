from __future__ import annotations

from gql_crm.db import visibility
from gql_crm.db.models import (
    FollowUp,
    Opportunity,
    OpportunityChange,
    OpportunityDetail,
    OpportunityStage,
    Schedule,
    Task,
)
from gql_crm.db.pagination import Page, SortKey
from gql_crm.loaders.base import Loader, LoaderSet, loader, scoped_loader
from gql_crm.loaders.batch import (
    Children,
    Slice,
    children,
    rows_by_id,
    scoped_pages,
)
from gql_crm.loaders.customer import FOLLOW_UP_ORDER
from gql_crm.loaders.customer_record import TASK_ORDER

load_stages = rows_by_id(OpportunityStage)
# Stage history per opportunity, oldest first.
load_history = children(OpportunityChange.opportunity_id, OpportunityChange.id)
load_details = children(OpportunityDetail.opportunity_id, OpportunityDetail.id)


# Most recently changed first.
OPPORTUNITY_ORDER = [SortKey(Opportunity.updated_at, True), SortKey(Opportunity.id, True)]


# Pages of a customer's opportunities the caller may see, most recently changed first.
CUSTOMER_OPPORTUNITIES = Children(
    Opportunity.customer_id, OPPORTUNITY_ORDER, rule=visibility.opportunity
)
load_customer_opportunities = scoped_pages(CUSTOMER_OPPORTUNITIES)


# The records about an opportunity that the caller may see (the opportunity view): to-dos
# open ones first, appointments latest first, follow-ups newest first.
OPPORTUNITY_TASKS = Children(
    Task.opportunity_id, TASK_ORDER, rule=lambda p: visibility.assigned_record(p, Task)
)
OPPORTUNITY_SCHEDULES = Children(
    Schedule.opportunity_id,
    [SortKey(Schedule.starts_at, True), SortKey(Schedule.id, True)],
    rule=lambda p: visibility.assigned_record(p, Schedule),
)
OPPORTUNITY_FOLLOW_UPS = Children(
    FollowUp.opportunity_id, FOLLOW_UP_ORDER, rule=visibility.follow_up
)


class OpportunityLoaders(LoaderSet):
    opportunity_stage: Loader[int, OpportunityStage | None] = loader(load_stages)
    # Pages per customer; only those the caller may see.
    customer_opportunities: Loader[Slice, Page[Opportunity]] = scoped_loader(
        load_customer_opportunities
    )
    opportunity_history: Loader[int, list[OpportunityChange]] = loader(load_history)
    opportunity_details: Loader[int, list[OpportunityDetail]] = loader(load_details)
