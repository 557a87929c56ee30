"""Webhook endpoints: where integrators receive signed events (``services/webhook.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, Record, reference


class WebhookEndpoint(Record, Base):
    __tablename__ = "webhook_endpoints"
    # Whose scope decides which events the endpoint receives, and who is told when it fails.
    owner_id: Mapped[int] = reference("users")
    url: Mapped[str] = mapped_column(String(500), doc="Where events are POSTed (http or https).")
    description: Mapped[str | None] = mapped_column(
        String(200), doc="What the endpoint is for, as its owner named it."
    )
    event_types: Mapped[list[str]] = mapped_column(
        JSON, doc="The event types delivered to it (see webhookEventTypes)."
    )
    # The customer list's filter (services.customer.CustomerFilter's fields, enums as their
    # values) that events about customers must match; null: every customer in scope.
    customer_filter: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # "whsec_" and base64 of 24 random bytes, as Standard Webhooks signs with.
    secret: Mapped[str] = mapped_column(String(100))
    # The secret before the last rotation, and when that was: deliveries are signed with it
    # as well until services.webhook.SECRET_OVERLAP has passed.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    secret_rotated_at: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(doc="Whether events are delivered to it.")
    disabled_reason: Mapped[str | None] = mapped_column(
        String(200), doc="Why it was disabled, when it was."
    )
    # Since when every delivery has failed (null: the last one succeeded).
    failing_since: Mapped[datetime | None] = mapped_column(
        doc="Since when every delivery has failed (null: the last one succeeded)."
    )
