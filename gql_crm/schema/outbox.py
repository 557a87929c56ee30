"""The outbox's delivery status as the schema names it (webhook deliveries and mailing
recipients share it)."""

from __future__ import annotations

import strawberry

from gql_crm.db.models.outbox import OutboxStatus

DeliveryStatus = strawberry.enum(
    OutboxStatus, name="DeliveryStatus", description="Where an outgoing delivery stands."
)
