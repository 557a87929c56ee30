from __future__ import annotations

from datetime import timedelta

import strawberry

from gql_crm.context import Info
from gql_crm.resolvers.kit import connection, mutation, success, writes
from gql_crm.schema import webhook as schema
from gql_crm.schema.common import requires
from gql_crm.services import webhook as service
from gql_crm.services.webhook import MANAGE

Endpoint = success(schema.WebhookEndpointType, "endpoint")
Delivery = success(schema.WebhookDeliveryType, "delivery")


@strawberry.type
class WebhookQuery:
    webhook_endpoints = connection(
        service.endpoint_list, schema.WebhookEndpointType, service.ORDER, needs=MANAGE,
        description="Your webhook endpoints (with admin:edit, anyone's), newest first.",
    )  # fmt: skip
    webhook_deliveries = connection(
        service.delivery_list, schema.WebhookDeliveryType, service.DELIVERY_ORDER,
        needs=MANAGE, endpoint_id=int | None,
        description="Deliveries to the endpoints you may see, newest first (`endpointId` "
        "narrows).",
    )  # fmt: skip

    @strawberry.field(
        extensions=[requires(MANAGE)],
        description="The event types an endpoint may ask for.",
    )
    def webhook_event_types(self, info: Info) -> list[schema.WebhookEventTypeType]:
        return [
            schema.WebhookEventTypeType(name=name, description=text)
            for name, text in service.EVENT_TYPES.items()
        ]


@strawberry.type
class WebhookMutation:
    create_webhook_endpoint, update_webhook_endpoint, delete_webhook_endpoint = writes(
        service.endpoints, Endpoint, schema.WebhookEndpointInput, (MANAGE, MANAGE, MANAGE)
    )
    rotate_webhook_secret = mutation(
        service.rotate_secret, Endpoint, needs=MANAGE, id=int,
        description="Gives the endpoint a new signing secret, used from the next attempt on; "
        f"for {service.SECRET_OVERLAP // timedelta(hours=1)} hours deliveries are signed with "
        "the replaced one as well (see previousSecretUntil).",
    )  # fmt: skip
    send_webhook_test_event = mutation(
        service.send_test, Delivery, needs=MANAGE, id=int,
        description="Sends a `webhook.test` event to the endpoint, as any other delivery.",
    )  # fmt: skip
    replay_webhook_delivery = mutation(
        service.replay, Delivery, needs=MANAGE, id=int,
        description="Delivers a settled delivery once more, under its own webhook-id.",
    )  # fmt: skip
