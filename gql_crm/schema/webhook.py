from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from gql_crm.db import visibility
from gql_crm.db.models import User
from gql_crm.db.models.outbox import OutboxAttempt, OutboxMessage
from gql_crm.db.models.webhook import WebhookEndpoint
from gql_crm.db.pagination import SortKey
from gql_crm.loaders.batch import Children, scoped_children
from gql_crm.schema.constraints import constraint
from gql_crm.schema.customer import CustomerFilterInput
from gql_crm.schema.kit import ModelInput, ModelType, related
from gql_crm.schema.outbox import DeliveryStatus  # noqa: F401  (registers the enum first)
from gql_crm.schema.user import UserType
from gql_crm.services.unit_of_work import camel
from gql_crm.services.webhook import previous_secret_until, stored_filter

attempts_of_delivery = scoped_children(
    Children(OutboxAttempt.message_id, [SortKey(OutboxAttempt.id)], rule=visibility.outbox_attempt)
)


@strawberry.type(
    name="WebhookEndpoint",
    description="A URL that receives signed events (Standard Webhooks) of the types it wants, "
    "for records within its owner's data scope.",
)
class WebhookEndpointType(
    ModelType,
    model=WebhookEndpoint,
    fields="id url description event_types enabled disabled_reason failing_since owner_id "
    "created_at",
):
    event_types: list[str] = strawberry.field(description="The event types it receives.")
    secret: str = strawberry.field(
        description="The signing secret (`whsec_…`): verify `webhook-signature` with it. "
        "rotateWebhookSecret replaces it."
    )

    @strawberry.field(
        description="After rotateWebhookSecret: until when deliveries carry a second "
        "signature, made with the secret it replaced, so a receiver may switch to the new "
        "one meanwhile (null: never rotated; a past time: only the new secret signs)."
    )
    def previous_secret_until(self) -> datetime | None:
        return previous_secret_until(self._model)

    owner = related(UserType, "owner_id", User, description="Whose scope and notifications.")
    _model: strawberry.Private[WebhookEndpoint]

    @strawberry.field(
        description="The customer filter events about customers must match, as given in "
        "`WebhookEndpointInput.customerFilter` (its field names, enum values by name); null: "
        "every customer within the owner's scope."
    )
    def customer_filter(self) -> JSON | None:
        stored = self._model.customer_filter
        if stored is None:
            return None
        chosen = stored_filter(stored)
        shown: dict[str, Any] = {
            camel(name): value.name if isinstance(value, enum.Enum) else value
            for name in stored
            if (value := getattr(chosen, name)) is not None
        }
        return shown  # type: ignore[return-value]


@strawberry.type(name="WebhookAttempt", description="One attempt to deliver an event.")
class WebhookAttemptType(
    ModelType,
    model=OutboxAttempt,
    fields="attempt started_at delivered status_code response_ms error next_attempt_at",
):
    """The delivery log's entry."""


@strawberry.type(
    name="WebhookDelivery",
    description="An event on its way to an endpoint, with its attempts.",
)
class WebhookDeliveryType(
    ModelType,
    model=OutboxMessage,
    fields="id status attempts next_attempt_at last_error created_at delivered_at",
):
    key: str = strawberry.field(
        name="webhookId",
        description="The `webhook-id` header: the same on every attempt, so a receiver can "
        "tell a repeat.",
    )
    target_id: int = strawberry.field(name="endpointId", description="The endpoint's id.")
    payload: JSON = strawberry.field(description="The body as sent: `{type, timestamp, data}`.")

    @strawberry.field(description="The event's type, such as `customer.claimed`.")
    def event_type(self) -> str:
        payload: Any = self.payload
        return str(payload["type"])

    log = related(
        WebhookAttemptType, "id", attempts_of_delivery, many=True, scoped=True,
        description="Every attempt, first first.",
    )  # fmt: skip


@strawberry.input
class WebhookEndpointInput(ModelInput, model=WebhookEndpoint, fields="url description"):
    event_types: list[str] = strawberry.field(
        metadata=constraint(max_length=64, single_line=True),
        description="Event types to receive (see webhookEventTypes).",
    )
    enabled: bool = strawberry.field(
        default=True, description="Off: nothing is delivered; on again: a fresh start."
    )
    customer_filter: CustomerFilterInput | None = strawberry.field(
        default=None,
        description="Only events about customers this filter matches, as the owner's customer "
        "list reads it when the event happens (an order or payment by its customer; a batch "
        "of released customers narrowed to those matching). Events about no customer "
        "(approvals) are not filtered. Null: every customer within the owner's scope.",
    )


@strawberry.type(name="WebhookEventType", description="An event an endpoint may receive.")
class WebhookEventTypeType:
    name: str = strawberry.field(description="As the payload's `type` says it.")
    description: str = strawberry.field(description="When it happens.")
