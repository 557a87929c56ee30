"""The opportunity view: its customer, and the to-dos, schedules and follow-ups about it;
a company may turn opportunity management off."""

from __future__ import annotations

from typing import Any

from gql_crm.db.models import Opportunity
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import count, make_customer, stage_ids
from tests.graphql_client import GraphQLClient

CREATE = """mutation($customerId: Int!, $stageId: Int!) {
  createOpportunity(customerId: $customerId, input: {title: "Fifty seats", stageId: $stageId,
    amount: "50000", probability: 10}) {
    __typename ... on OpportunitySuccess { opportunity { id } } } }"""
TASK = """mutation($customerId: Int!, $input: TaskInput!) {
  createTask(customerId: $customerId, input: $input) { __typename
    ... on InvalidInputError { problems { field message } } } }"""
SCHEDULE = """mutation($customerId: Int!, $input: ScheduleInput!) {
  createSchedule(customerId: $customerId, input: $input) { __typename } }"""
FOLLOW_UP = """mutation($customerId: Int!, $input: FollowUpInput!) {
  createFollowUp(customerId: $customerId, input: $input) { __typename
    ... on InvalidInputError { problems { field message } } } }"""
VIEW = """query($id: Int!) { opportunity(id: $id) {
  title customer { name } tasks { content opportunity { title } } schedules { title }
  followUps { content } } }"""
SWITCH = """mutation($on: Boolean!) { updateSystemSettings(input: {opportunitiesEnabled: $on}) {
  __typename } }"""


async def _opportunity(client: GraphQLClient, customer: int, stage: int) -> int:
    created = await client.data(CREATE, customerId=customer, stageId=stage)
    return int(created["createOpportunity"]["opportunity"]["id"])


async def test_sales1_opens_an_opportunity_and_sees_its_own_to_dos(
    sales1: GraphQLClient, services: Services
) -> None:
    customer = await make_customer(services, "sales1", "Acme")
    other = await make_customer(services, "sales1", "Other Co")
    stage = (await stage_ids(services))["Initial contact"]
    deal = await _opportunity(sales1, customer, stage)
    elsewhere = await _opportunity(sales1, other, stage)
    about = {"opportunityId": deal}
    due = "2026-03-05T09:00:00Z"
    await sales1.data(
        TASK, customerId=customer, input={"content": "Send quote", "dueAt": due, **about}
    )
    await sales1.data(TASK, customerId=customer, input={"content": "Not about it", "dueAt": due})
    await sales1.data(
        SCHEDULE,
        customerId=customer,
        input={"title": "Demo", "startsAt": due, "endsAt": due, **about},
    )
    await sales1.data(FOLLOW_UP, customerId=customer, input={"content": "Called", **about})
    view = (await sales1.data(VIEW, id=deal))["opportunity"]
    assert view == {
        "title": "Fifty seats",
        "customer": {"name": "Acme"},
        "tasks": [{"content": "Send quote", "opportunity": {"title": "Fifty seats"}}],
        "schedules": [{"title": "Demo"}],
        "followUps": [{"content": "Called"}],
    }

    # A record cannot be about another customer's opportunity.
    refused: dict[str, Any] = (
        await sales1.data(
            TASK,
            customerId=customer,
            input={"content": "x", "dueAt": due, "opportunityId": elsewhere},
        )
    )["createTask"]
    assert refused["problems"] == [
        {
            "field": "opportunityId",
            "message": f"opportunity {elsewhere} is not an opportunity of this customer",
        }
    ]
    refused = (
        await sales1.data(
            FOLLOW_UP, customerId=customer, input={"content": "x", "opportunityId": elsewhere}
        )
    )["createFollowUp"]
    assert [p["field"] for p in refused["problems"]] == ["opportunityId"]
    assert len((await sales1.data(VIEW, id=deal))["opportunity"]["tasks"]) == 1


async def test_a_company_may_turn_opportunity_management_off(
    sales1: GraphQLClient, admin: GraphQLClient, services: Services
) -> None:
    customer = await make_customer(services, "sales1")
    stage = (await stage_ids(services))["Initial contact"]
    deal = await _opportunity(sales1, customer, stage)
    assert (await admin.data(SWITCH, on=False))["updateSystemSettings"]["__typename"] == (
        "SystemSettingsSuccess"
    )
    message = (
        "Opportunity management is turned off for this company (system setting "
        "opportunitiesEnabled)."
    )
    for document, variables in (
        (VIEW, {"id": deal}),
        (CREATE, {"customerId": customer, "stageId": stage}),
        ("{ salesFunnel { count } }", {}),
        ("{ opportunities(first: 5) { totalCount edges { node { id title } } } }", {}),
    ):
        body = await sales1.execute(document, **variables)
        assert not any((body["data"] or {}).values()), body
        assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
            (message, "MODULE_DISABLED")
        ]
    assert await count(services, Opportunity) == 1
    await admin.data(SWITCH, on=True)
    assert (await sales1.data(VIEW, id=deal))["opportunity"]["customer"] is not None
