from __future__ import annotations

import strawberry

from gql_crm.resolvers.kit import connection, success, writes
from gql_crm.schema import campaign as schema
from gql_crm.services import campaign as service
from gql_crm.services.campaign import CREATE, DELETE, EDIT, VIEW

Campaign = success(schema.CampaignType, "campaign")
Member = success(schema.CampaignMemberType, "member")


@strawberry.type
class CampaignQuery:
    campaigns = connection(
        service.campaigns.rows, schema.CampaignType, service.ORDER, needs=VIEW,
        search=str | None, description="Campaigns you may see, newest first.",
    )  # fmt: skip
    campaign_recycle_bin = connection(
        service.campaigns.bin, schema.CampaignType, service.campaigns.bin_order,
        description="Campaigns you deleted: restore or purge them.",
    )  # fmt: skip


@strawberry.type
class CampaignMutation:
    (
        create_campaign, update_campaign, delete_campaign, restore_campaign, purge_campaign,
    ) = writes(
        service.campaigns, Campaign, schema.CampaignInput, (CREATE, EDIT, DELETE)
    )  # fmt: skip
    add_campaign_member, update_campaign_member, remove_campaign_member = writes(
        service.members, Member, schema.CampaignMemberInput, (EDIT, EDIT, EDIT),
        campaign_id=int, customer_id=int,
    )  # fmt: skip
