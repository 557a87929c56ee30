from __future__ import annotations

from datetime import datetime

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import FollowUp
from gql_crm.schema.constraints import constraint
from gql_crm.schema.kit import ModelInput, ModelType
from gql_crm.schema.links import customer_link, opportunity_link
from gql_crm.schema.option import OptionType
from gql_crm.schema.user import UserType


@strawberry.type(
    name="FollowUp", description="A contact with the customer; restarts its pool clock."
)
class FollowUpType(ModelType, model=FollowUp):
    id: int
    customer_id: int
    contact_id: int | None
    method_id: int | None
    content: str
    followed_at: datetime
    next_step: str | None
    author_id: int | None
    created_at: datetime
    opportunity_id: int | None

    customer = customer_link()
    opportunity = opportunity_link()

    @strawberry.field
    async def method(self, info: Info) -> OptionType | None:
        if self.method_id is None:
            return None
        item = await info.context.loaders.option.load(self.method_id)
        return OptionType.from_model(item) if item else None

    @strawberry.field
    async def author(self, info: Info) -> UserType | None:
        if self.author_id is None:
            return None
        user = await info.context.loaders.user.load(self.author_id)
        return UserType.from_model(user) if user else None

    @strawberry.field(description="The name of the contact it was made with, if any.")
    async def contact_name(self, info: Info) -> str | None:
        if self.contact_id is None:
            return None
        contact = await info.context.loaders.contact.load(self.contact_id)
        return contact.name if contact else None


@strawberry.input
class FollowUpInput(
    ModelInput,
    model=FollowUp,
    fields="content contact_id method_id followed_at next_step opportunity_id",
):
    followed_at: datetime | None = strawberry.field(default=None, description="Defaults to now.")
    next_step: str | None = strawberry.field(default=None, metadata=constraint(max_length=2000))


@strawberry.type
class FollowUpSuccess:
    follow_up: FollowUpType


@strawberry.input(description="Narrows the follow-up list; every field given must match.")
class FollowUpFilterInput:
    customer_id: int | None = None
    author_id: int | None = None
    method_id: int | None = None
    opportunity_id: int | None = None
