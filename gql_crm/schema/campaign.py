from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import strawberry

from gql_crm.db import visibility
from gql_crm.db.models import Contact, User
from gql_crm.db.models.campaign import Campaign, CampaignMember, CampaignStatus
from gql_crm.db.pagination import SortKey
from gql_crm.loaders.batch import Children, scoped_children
from gql_crm.schema.contact import ContactType
from gql_crm.schema.kit import ModelInput, ModelType, owner_field, related
from gql_crm.schema.links import customer_link
from gql_crm.schema.user import UserType
from gql_crm.services.campaign import CampaignResults, load_results

strawberry.enum(CampaignStatus, name="CampaignStatus", description="Where a campaign stands.")
members_of_campaign = scoped_children(
    Children(
        CampaignMember.campaign_id, [SortKey(CampaignMember.id)], rule=visibility.campaign_member
    )
)


@strawberry.type(
    name="CampaignResults",
    description="What a campaign came to, over what you may see: the customers it reached "
    "and brought, and the opportunities and orders of the customers it brought.",
)
class CampaignResultsType:
    customers_reached: int = strawberry.field(description="Customers it reached.")
    customers_brought: int = strawberry.field(description="Customers it is the source of.")
    opportunities: int = strawberry.field(description="Opportunities of those customers.")
    opportunity_amount: Decimal = strawberry.field(description="Their expected amounts.")
    orders: int = strawberry.field(description="Orders of those customers.")
    order_amount: Decimal = strawberry.field(description="Their amounts.")

    @classmethod
    def from_model(cls, results: CampaignResults) -> CampaignResultsType:
        return cls(**dataclasses.asdict(results))


@strawberry.type(
    name="Campaign",
    description="A marketing campaign; its owner's data scope decides who sees it.",
)
class CampaignType(
    ModelType,
    model=Campaign,
    fields="id name campaign_type starts_on ends_on budget actual_cost status description "
    "owner_id created_at",
):
    name: str = strawberry.field(description="What the campaign is called.")
    campaign_type: str | None = strawberry.field(
        description="Its kind, in the company's words (fair, mailing, seminar...)."
    )
    starts_on: date | None = strawberry.field(description="First day.")
    ends_on: date | None = strawberry.field(description="Last day.")
    budget: Decimal = strawberry.field(description="What it was to cost.")
    actual_cost: Decimal = strawberry.field(description="What it cost.")
    status: CampaignStatus = strawberry.field(description="Where it stands.")
    description: str | None = strawberry.field(description="Free text.")
    owner = related(UserType, "owner_id", User, description="Who runs it.")
    members = related(
        "CampaignMemberType", "id", members_of_campaign, many=True, scoped=True,
        module=__name__, description="The customers it reached that you may see.",
    )  # fmt: skip
    results = related(
        CampaignResultsType, "id", load_results, scoped=True,
        description="Counts and amounts, over what you may see.",
    )  # fmt: skip


@strawberry.type(name="CampaignMember", description="A customer (and contact) a campaign reached.")
class CampaignMemberType(
    ModelType, model=CampaignMember, fields="id campaign_id customer_id contact_id brought"
):
    brought: bool = strawberry.field(description="The campaign is where this customer came from.")
    customer = customer_link()
    contact = related(ContactType, "contact_id", Contact, description="The contact reached.")


@strawberry.input
class CampaignInput(
    ModelInput,
    model=Campaign,
    fields="name campaign_type starts_on ends_on budget actual_cost status description",
):
    name: str = strawberry.field(description="What the campaign is called.")
    campaign_type: str | None = strawberry.field(
        default=None, description="Its kind, in the company's words."
    )
    starts_on: date | None = strawberry.field(default=None, description="First day.")
    ends_on: date | None = strawberry.field(default=None, description="Last day.")
    description: str | None = strawberry.field(default=None, description="Free text.")
    budget: Decimal | None = strawberry.field(default=None, description="Zero if left out.")
    actual_cost: Decimal | None = strawberry.field(default=None, description="Zero if left out.")
    status: CampaignStatus = strawberry.field(
        default=CampaignStatus.PLANNED, description="Where it stands."
    )
    owner_id: int | None = owner_field()


@strawberry.input
class CampaignMemberInput:
    contact_id: int | None = strawberry.field(default=None, description="One of its contacts.")
    brought: bool = strawberry.field(
        default=False, description="The campaign is where this customer came from."
    )
