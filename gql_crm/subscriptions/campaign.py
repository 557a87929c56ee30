from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from gql_crm.context import Context, Info
from gql_crm.db.models.campaign import Campaign
from gql_crm.schema.campaign import CampaignType
from gql_crm.services import campaign as service
from gql_crm.services.customer import CUSTOMER_VIEW
from gql_crm.subscriptions.bus import Event
from gql_crm.subscriptions.live import LoadingFeed, feed, live_items


@feed("campaignProgress")
class CampaignProgress(LoadingFeed[CampaignType]):
    channels = (service.TOPIC,)

    __slots__ = ("_campaign_id", "_database", "_principal")

    def __init__(self, context: Context, campaign_id: int | None = None) -> None:
        self._principal = context.require_principal()
        self._principal.require(CUSTOMER_VIEW)
        self._database = context.services.database
        self._campaign_id = campaign_id

    async def items(self, event: Event) -> list[CampaignType]:
        if event.channel != service.TOPIC or event.type != service.CAMPAIGN_EVENT:
            return []
        payload = event.payload
        if self._campaign_id is not None and payload["campaignId"] != self._campaign_id:
            return []
        if not service.can_watch(self._principal, payload):
            return []
        async with self._database.reader() as session:
            campaign = await session.get(Campaign, payload["campaignId"])
        return [] if campaign is None else [CampaignType.from_model(campaign)]


@strawberry.type
class CampaignSubscription:
    @strawberry.subscription(
        description="Campaigns (yours and those of people in your scope) as their messages "
        "are settled: select `counts` to watch them go to sent; optionally one campaign."
    )
    async def campaign_progress(
        self, info: Info, campaign_id: int | None = None
    ) -> AsyncGenerator[CampaignType, None]:
        progress = CampaignProgress(info.context, campaign_id=campaign_id)
        async for campaign in live_items(info.context, progress):
            yield campaign
