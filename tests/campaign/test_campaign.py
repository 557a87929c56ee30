"""Simple marketing campaigns: the customers a campaign reached and brought, and what their
opportunities and orders come to, within the owner's scope; the recycle bin."""

from __future__ import annotations

from typing import Any

from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import make_customer, stage_ids
from tests.fixtures.statements import counted_data
from tests.graphql_client import GraphQLClient

CREATE = """mutation($input: CampaignInput!) { createCampaign(input: $input) { __typename
  ... on CampaignSuccess { campaign { id name budget actualCost status owner { loginName } } }
  ... on InvalidInputError { problems { field message } } } }"""
ADD = """mutation($campaignId: Int!, $customerId: Int!, $input: CampaignMemberInput!) {
  addCampaignMember(campaignId: $campaignId, customerId: $customerId, input: $input) {
    __typename ... on Error { code message } } }"""
LIST = """{ campaigns { totalCount edges { node { name
  members { brought customer { name } }
  results { customersReached customersBrought opportunities opportunityAmount orders orderAmount }
} } } }"""
ORDER = """mutation($customerId: Int!) { createOrder(customerId: $customerId, input: {title: "Deal",
  amount: "800", lines: []}) { __typename } }"""
OPPORTUNITY = """mutation($customerId: Int!, $stageId: Int!) { createOpportunity(
  customerId: $customerId, input: {title: "Seats", stageId: $stageId, amount: "1200",
  probability: 50}) { __typename } }"""
DELETE = "mutation($id: Int!) { deleteCampaign(id: $id) { __typename } }"
RESTORE = "mutation($id: Int!) { restoreCampaign(id: $id) { __typename } }"
FAIR = {
    "name": "Spring fair",
    "campaignType": "Fair",
    "startsOn": "2026-03-01",
    "endsOn": "2026-03-03",
    "budget": "5000",
    "actualCost": "4200.50",
}


async def _campaign(client: GraphQLClient, **input: Any) -> int:
    created = (await client.data(CREATE, input={**FAIR, **input}))["createCampaign"]
    assert created["__typename"] == "CampaignSuccess", created
    return int(created["campaign"]["id"])


async def test_a_campaign_shows_the_customers_it_brought_and_what_they_came_to(
    sales1: GraphQLClient,
    manager1: GraphQLClient,
    sales3: GraphQLClient,
    services: Services,
) -> None:
    fair = await _campaign(sales1)
    brought = await make_customer(services, "sales1", "Brought Co")
    reached = await make_customer(services, "sales1", "Reached Co")
    for customer, was_brought in ((brought, True), (reached, False)):
        added = await sales1.data(
            ADD, campaignId=fair, customerId=customer, input={"brought": was_brought}
        )
        assert added["addCampaignMember"]["__typename"] == "CampaignMemberSuccess"
    stage = (await stage_ids(services))["Initial contact"]
    await sales1.data(OPPORTUNITY, customerId=brought, stageId=stage)
    await sales1.data(ORDER, customerId=brought)
    await sales1.data(ORDER, customerId=reached)  # not brought by the campaign

    expected = {
        "name": "Spring fair",
        "members": [
            {"brought": True, "customer": {"name": "Brought Co"}},
            {"brought": False, "customer": {"name": "Reached Co"}},
        ],
        "results": {
            "customersReached": 2,
            "customersBrought": 1,
            "opportunities": 1,
            "opportunityAmount": "1200.00",
            "orders": 1,
            "orderAmount": "800.00",
        },
    }
    assert [e["node"] for e in (await sales1.data(LIST))["campaigns"]["edges"]] == [expected]
    assert [e["node"] for e in (await manager1.data(LIST))["campaigns"]["edges"]] == [expected]
    assert (await sales3.data(LIST))["campaigns"]["totalCount"] == 0

    assert (await manager1.data(DELETE, id=fair))["deleteCampaign"]["__typename"] == (
        "DeleteSuccess"
    )
    assert (await sales1.data(LIST))["campaigns"]["totalCount"] == 0
    assert (await manager1.data(RESTORE, id=fair))["restoreCampaign"]["__typename"] == (
        "CampaignSuccess"
    )
    assert [e["node"] for e in (await sales1.data(LIST))["campaigns"]["edges"]] == [expected]


async def test_a_campaign_is_checked_and_listed_in_constant_statements(
    sales1: GraphQLClient, services: Services
) -> None:
    bad = (await sales1.data(CREATE, input={**FAIR, "endsOn": "2026-02-01", "budget": "-1"}))[
        "createCampaign"
    ]
    assert bad["__typename"] == "InvalidInputError"
    assert bad["problems"][0]["field"] in ("budget", "endsOn")
    customer = await make_customer(services, "sales1")
    first = await _campaign(sales1)
    await sales1.data(ADD, campaignId=first, customerId=customer, input={"brought": True})
    _, few = await counted_data(sales1, services, LIST)
    for n in range(4):
        more = await _campaign(sales1, name=f"Mailing {n}")
        await sales1.data(ADD, campaignId=more, customerId=customer, input={})
    _, many = await counted_data(sales1, services, LIST)
    assert len(few) == len(many)
