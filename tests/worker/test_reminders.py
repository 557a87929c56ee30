"""Task and schedule reminders become notifications at their time, exactly once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from gql_crm.services.reminder import send_reminders
from gql_crm.services.unit_of_work import Services
from tests.graphql_client import GraphQLClient

GRADES = "{ systemSettings { maturityOptions { id label } } }"
CUSTOMER = """mutation($grade: Int!) {
  createCustomer(input: {name: "Remind Co", maturityId: $grade}) {
    ... on CustomerSuccess { customer { id } } } }"""
TASK = """mutation($customer: Int!, $input: TaskInput!) { createTask(customerId: $customer,
  input: $input) { __typename ... on CustomerRecordSuccess { record { ... on Task { id } } } } }"""
UPDATE_TASK = """mutation($id: Int!, $input: TaskInput!) { updateTask(id: $id, input: $input) {
  __typename } }"""
SCHEDULE = """mutation($customer: Int!, $input: ScheduleInput!) { createSchedule(
  customerId: $customer, input: $input) { __typename } }"""
BELL = "{ notifications(first: 20) { edges { node { kind linkType linkId } } } }"


async def _customer(client: GraphQLClient) -> int:
    grades = {
        o["label"]: o["id"]
        for o in (await client.data(GRADES))["systemSettings"]["maturityOptions"]
    }
    created: dict[str, Any] = await client.data(CUSTOMER, grade=grades["A"])
    return int(created["createCustomer"]["customer"]["id"])


async def _bell(client: GraphQLClient) -> list[tuple[str, str, int]]:
    edges = (await client.data(BELL))["notifications"]["edges"]
    return [(e["node"]["kind"], e["node"]["linkType"], e["node"]["linkId"]) for e in edges]


async def test_each_reminder_fires_once_at_its_time(
    sales1: GraphQLClient, services: Services, clock: FrozenClock
) -> None:
    customer = await _customer(sales1)
    now = clock.now()
    task_input = {
        "content": "Send the quote",
        "dueAt": (now + timedelta(hours=2)).isoformat(),
        "remindAt": (now + timedelta(hours=1)).isoformat(),
    }
    task = await sales1.data(TASK, customer=customer, input=task_input)
    task_id = task["createTask"]["record"]["id"]
    schedule = {
        "title": "Visit",
        "startsAt": (now + timedelta(hours=3)).isoformat(),
        "endsAt": (now + timedelta(hours=4)).isoformat(),
        "remindAt": (now + timedelta(minutes=30)).isoformat(),
    }
    assert (await sales1.data(SCHEDULE, customer=customer, input=schedule))["createSchedule"][
        "__typename"
    ] == "CustomerRecordSuccess"
    done = {**task_input, "content": "Already done", "done": True, "remindAt": now.isoformat()}
    await sales1.data(TASK, customer=customer, input=done)

    assert await send_reminders(services) == 0  # nothing due yet; done tasks never remind
    clock.advance(timedelta(minutes=30))
    assert await send_reminders(services) == 1
    assert [k for k, _, _ in await _bell(sales1)] == ["schedule_reminder"]
    assert await send_reminders(services) == 0, "a reminder fires once"
    clock.advance(timedelta(minutes=30))
    assert await send_reminders(services) == 1
    assert ("task_reminder", "task", task_id) in await _bell(sales1)

    # Moving the reminder makes it fire again, at its new time.
    later = {**task_input, "remindAt": (clock.now() + timedelta(minutes=10)).isoformat()}
    assert (await sales1.data(UPDATE_TASK, id=task_id, input=later))["updateTask"][
        "__typename"
    ] == "CustomerRecordSuccess"
    assert await send_reminders(services) == 0
    clock.advance(timedelta(minutes=10))
    assert await send_reminders(services) == 1
    assert [k for k, _, _ in await _bell(sales1)].count("task_reminder") == 2


async def test_two_runs_at_once_send_each_reminder_once(
    sales1: GraphQLClient, services: Services, clock: FrozenClock, database: Database
) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    customer = await _customer(sales1)
    now = clock.now()
    for n in range(20):
        task = {
            "content": f"Call back {n}",
            "dueAt": (now + timedelta(hours=1)).isoformat(),
            "remindAt": now.isoformat(),
        }
        await sales1.data(TASK, customer=customer, input=task)
    sent = await asyncio.gather(*(send_reminders(services) for _ in range(3)))
    assert sum(sent) == 20
    assert len(await _bell(sales1)) == 20
