from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from gql_crm.db.models import Announcement, Audience
from gql_crm.schema.constraints import constraint
from gql_crm.schema.kit import ModelInput, ModelType, related
from gql_crm.schema.user import UserType

AudienceEnum = strawberry.enum(
    Audience, name="Audience", description="Who an announcement goes to."
)
TITLE = constraint(max_length=200, single_line=True, required=True)


@strawberry.type(name="Announcement", description="A company announcement.")
class AnnouncementType(ModelType, model=Announcement):
    id: int
    title: str
    content: str
    title_style: JSON = strawberry.field(description='e.g. {"color": "#c00", "bold": true}')
    audience: AudienceEnum  # type: ignore[valid-type]
    audience_ids: list[int] = strawberry.field(description="Department or user ids.")
    author_id: int | None
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime

    author = related(UserType, "author_id", "user")


@strawberry.input
class AnnouncementInput(ModelInput, model=Announcement):
    title: str = strawberry.field(metadata=TITLE)
    content: str = strawberry.field(metadata=constraint(max_length=50_000, required=True))
    audience: AudienceEnum = Audience.EVERYONE  # type: ignore[valid-type]
    audience_ids: list[int] = strawberry.field(default_factory=list)
    # Optional rather than defaulting to {}: graphql-core cannot show an object default of a
    # custom scalar in introspection (GraphiQL would get an error with every schema load).
    title_style: JSON | None = strawberry.field(
        default=None, description="Omitted or null: no style."
    )


@strawberry.type
class AnnouncementSuccess:
    announcement: AnnouncementType


@strawberry.type(description="An instant notice: shown once to users online when it is sent.")
class InstantNotice:
    title: str = strawberry.field(description="The headline.")
    body: str = strawberry.field(description="The text.")
    sender_id: int
    sent_at: datetime = strawberry.field(description="When it was sent.")


@strawberry.type(description="What sending an instant notice did.")
class NoticeSent:
    delivered_live: bool = strawberry.field(description="False if live updates are interrupted.")
