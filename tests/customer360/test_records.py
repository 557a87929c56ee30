"""Records kept with a customer (F2.8, F4.1, F4.3-F4.5): written with the customer as context,
checked, logged, and moved through the deleter's recycle bin."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from gql_crm.db.models import Pool
from gql_crm.services.unit_of_work import Services
from tests.conftest import START
from tests.fixtures.errors import not_found
from tests.fixtures.factories import make_customer
from tests.fixtures.graphql import PLAIN_ERRORS, mutation_of, result, success
from tests.graphql_client import GraphQLClient

RESULT = f"""
  __typename
  ... on CustomerRecordSuccess {{ record {{ __typename id customerId ownerId
    ... on Task {{ content done doneAt dueAt }}
    ... on Schedule {{ title place }}
    ... on CustomerNote {{ content }}
    ... on CallRecord {{ callerNumber processed processedAt }}
    ... on Complaint {{ complaintType status resolution }}
    ... on ServiceRecord {{ serviceType content }}
  }} }}
  {PLAIN_ERRORS}
  ... on InvalidInputError {{ problems {{ field message }} }}
"""
T = START.isoformat()
LATER = (START + timedelta(days=2)).isoformat()

# kind, create mutation, update mutation, input type, a valid input, an edited input
KINDS: list[tuple[str, str, str, str, dict[str, Any], dict[str, Any]]] = [
    ("TASK", "createTask", "updateTask", "TaskInput",
     {"content": "Send quote", "dueAt": LATER},
     {"content": "Send quote", "dueAt": LATER, "done": True}),
    ("SCHEDULE", "createSchedule", "updateSchedule", "ScheduleInput",
     {"title": "Visit", "startsAt": LATER, "endsAt": LATER},
     {"title": "Visit", "startsAt": LATER, "endsAt": LATER, "place": "HQ"}),
    ("NOTE", "createCustomerNote", "updateCustomerNote", "CustomerNoteInput",
     {"content": "Likes tea"}, {"content": "Likes green tea"}),
    ("CALL", "createCallRecord", "updateCallRecord", "CallRecordInput",
     {"callerNumber": "555-0100", "calledAt": T, "content": "Asked for a call back"},
     {"callerNumber": "555-0100", "calledAt": T, "content": "Called back", "processed": True}),
    ("COMPLAINT", "createComplaint", "updateComplaint", "ComplaintInput",
     {"complaintType": "Delivery", "complainedAt": T, "content": "Late"},
     {"complaintType": "Delivery", "complainedAt": T, "content": "Late", "status": "RESOLVED",
      "resolution": "Refunded shipping"}),
    ("SERVICE", "createServiceRecord", "updateServiceRecord", "ServiceRecordInput",
     {"serviceType": "Training", "servedAt": T, "content": "Onboarding"},
     {"serviceType": "Training", "servedAt": T, "content": "Onboarding, part 2"}),
]  # fmt: skip
IDS = [kind[0] for kind in KINDS]

VIEW = """
query($id: Int!) { customer(id: $id) {
  tasks { nodes { id } } schedules { nodes { id } } notes { nodes { id } }
  callRecords { nodes { id } } complaints { nodes { id } } serviceRecords { nodes { id } }
} }
"""
PART = {
    "TASK": "tasks",
    "SCHEDULE": "schedules",
    "NOTE": "notes",
    "CALL": "callRecords",
    "COMPLAINT": "complaints",
    "SERVICE": "serviceRecords",
}


def _create(name: str, input_type: str) -> str:
    arguments = f"$customerId: Int!, $input: {input_type}!"
    return mutation_of(arguments, f"{name}(customerId: $customerId, input: $input)", RESULT)


def _update(name: str, input_type: str) -> str:
    return mutation_of(
        f"$id: Int!, $input: {input_type}!", f"{name}(id: $id, input: $input)", RESULT
    )


def _by_kind(name: str, selection: str) -> str:
    """A mutation on one record of a kind: ``name(kind: $kind, id: $id)``."""
    return mutation_of(
        "$kind: CustomerRecordKind!, $id: Int!", f"{name}(kind: $kind, id: $id)", selection
    )


_DELETED = success("DeleteSuccess", "id", PLAIN_ERRORS)
DELETE = _by_kind("deleteCustomerRecord", _DELETED)
RESTORE = _by_kind("restoreCustomerRecord", RESULT)
PURGE = _by_kind("purgeCustomerRecord", _DELETED)
BIN = """
query($kind: CustomerRecordKind!) {
  recordRecycleBin(kind: $kind, first: 50) { edges { node { id customerId } } }
}"""
LABEL = {
    "TASK": "Task",
    "SCHEDULE": "Schedule",
    "NOTE": "Note",
    "CALL": "Call record",
    "COMPLAINT": "Complaint",
    "SERVICE": "Service record",
}


async def _ids(client: GraphQLClient, customer_id: int, kind: str) -> list[int]:
    data = await client.data(VIEW, id=customer_id)
    return [row["id"] for row in data["customer"][PART[kind]]["nodes"]]


@pytest.mark.parametrize("kind", IDS)
async def test_create_edit_delete_restore_purge(
    sales1: GraphQLClient, manager1: GraphQLClient, services: Services, kind: str
) -> None:
    _, create, update, input_type, data, edited = KINDS[IDS.index(kind)]
    customer_id = await make_customer(services, "sales1")
    created = await result(sales1, _create(create, input_type), customerId=customer_id, input=data)
    assert created["__typename"] == "CustomerRecordSuccess", created
    record = created["record"]
    assert record["customerId"] == customer_id and record["ownerId"] is not None
    assert await _ids(sales1, customer_id, kind) == [record["id"]]

    changed = await result(sales1, _update(update, input_type), id=record["id"], input=edited)
    assert changed["__typename"] == "CustomerRecordSuccess", changed
    if kind == "TASK":
        assert changed["record"]["done"] and changed["record"]["doneAt"] == T
    if kind == "CALL":
        assert changed["record"]["processed"] and changed["record"]["processedAt"] == T
    if kind == "COMPLAINT":
        assert changed["record"]["status"] == "RESOLVED"

    # Staff may not delete; their manager may, into the manager's recycle bin.
    body = await sales1.execute(DELETE, kind=kind, id=record["id"])
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    gone = await result(manager1, DELETE, kind=kind, id=record["id"])
    assert gone == {"__typename": "DeleteSuccess", "id": record["id"]}
    assert await _ids(sales1, customer_id, kind) == []
    binned = (await manager1.data(BIN, kind=kind))["recordRecycleBin"]["edges"]
    assert [e["node"]["id"] for e in binned] == [record["id"]]
    assert (await sales1.data(BIN, kind=kind))["recordRecycleBin"]["edges"] == []
    # Deleted records cannot be edited.
    again = await result(sales1, _update(update, input_type), id=record["id"], input=edited)
    assert again == not_found(LABEL[kind], record["id"])

    back = await result(manager1, RESTORE, kind=kind, id=record["id"])
    assert back["__typename"] == "CustomerRecordSuccess", back
    assert await _ids(sales1, customer_id, kind) == [record["id"]]

    await result(manager1, DELETE, kind=kind, id=record["id"])
    purged = await result(manager1, PURGE, kind=kind, id=record["id"])
    assert purged == {"__typename": "DeleteSuccess", "id": record["id"]}
    assert (await manager1.data(BIN, kind=kind))["recordRecycleBin"]["edges"] == []


@pytest.mark.parametrize("kind", IDS)
async def test_scope_applies(
    sales1: GraphQLClient, gql: GraphQLClient, services: Services, kind: str
) -> None:
    _, create, update, input_type, data, edited = KINDS[IDS.index(kind)]
    sales2 = await gql.as_user("sales2")
    theirs = await make_customer(services, "sales2", "Theirs")
    public = await make_customer(services, None, "Public", Pool.PUBLIC)
    mine = await make_customer(services, "sales1", "Mine")

    # Invisible customers are not found; visible ones that are not yours are a conflict.
    refused = await result(sales1, _create(create, input_type), customerId=theirs, input=data)
    assert refused == not_found("Customer", theirs, "customerId")
    refused = await result(sales1, _create(create, input_type), customerId=public, input=data)
    assert refused["__typename"] == "ConflictError"
    assert await _ids(sales2, theirs, kind) == []

    # Others' records cannot be edited, deleted or restored.
    created = await result(sales2, _create(create, input_type), customerId=theirs, input=data)
    record_id = created["record"]["id"]
    changed = await result(sales1, _update(update, input_type), id=record_id, input=edited)
    assert changed == not_found(LABEL[kind], record_id)
    assert await _ids(sales2, theirs, kind) == [record_id]

    # An assignee outside your scope is refused.
    users = {"sales2": (await sales2.data("{ me { id } }"))["me"]["id"]}
    foreign = await result(
        sales1,
        _create(create, input_type),
        customerId=mine,
        input={**data, "ownerId": users["sales2"]},
    )
    assert foreign["__typename"] == "InvalidInputError"
    assert await _ids(sales1, mine, kind) == []


async def test_records_of_a_deleted_customer_are_hidden(
    sales1: GraphQLClient, manager1: GraphQLClient, services: Services
) -> None:
    customer_id = await make_customer(services, "sales1")
    _, create, _, input_type, data, _ = KINDS[0]
    created = await result(sales1, _create(create, input_type), customerId=customer_id, input=data)
    record_id = created["record"]["id"]
    await manager1.data(
        "mutation($id: Int!) { deleteCustomer(id: $id) { __typename } }", id=customer_id
    )
    edited = await result(manager1, DELETE, kind="TASK", id=record_id)
    assert edited == not_found("Task", record_id)


async def test_invalid_input_reports_every_field(sales1: GraphQLClient, services: Services) -> None:
    """Every malformed field at once; then, on well-formed input, every broken rule at once."""
    customer_id = await make_customer(services, "sales1")
    create = _create("createComplaint", "ComplaintInput")
    form = {"complaintType": " ", "complainedAt": T, "content": "", "status": "RESOLVED"}
    refused = await result(sales1, create, customerId=customer_id, input=form)
    assert refused["__typename"] == "InvalidInputError"
    assert {p["field"] for p in refused["problems"]} == {"complaintType", "content"}
    form |= {"complaintType": "Delivery", "content": "Late again."}
    refused = await result(sales1, create, customerId=customer_id, input=form)
    assert [(p["field"], p["message"]) for p in refused["problems"]] == [
        ("resolution", "is required once the complaint is resolved")
    ]


WORKBENCH_PART = {
    "TASK": "tasks",
    "SCHEDULE": "schedules",
    "CALL": "callRecords",
    "COMPLAINT": "complaints",
}
ASSIGNABLE = list(WORKBENCH_PART)


@pytest.mark.parametrize("kind", ASSIGNABLE)
async def test_assignment_is_access(
    manager1: GraphQLClient, gql: GraphQLClient, services: Services, kind: str
) -> None:
    """A record manager1 assigns to sales2 on sales1's customer is on sales2's workbench and
    sales2's to work on, though the customer itself stays out of sales2's sight."""
    _, create, update, input_type, data, edited = KINDS[IDS.index(kind)]
    sales2 = await gql.as_user("sales2")
    customer_id = await make_customer(services, "sales1")
    assert sales2.user_id is not None
    created = await result(
        manager1,
        _create(create, input_type),
        customerId=customer_id,
        input={**data, "ownerId": sales2.user_id},
    )
    assert created["__typename"] == "CustomerRecordSuccess", created
    record_id = created["record"]["id"]

    bench = (await sales2.data(f"{{ workbench {{ {WORKBENCH_PART[kind]} {{ id }} }} }}"))[
        "workbench"
    ]
    assert bench[WORKBENCH_PART[kind]] == [{"id": record_id}]
    changed = await result(
        sales2,
        _update(update, input_type),
        id=record_id,
        input={**edited, "ownerId": sales2.user_id},
    )
    assert changed["__typename"] == "CustomerRecordSuccess", changed
    assert (await sales2.data("query($id: Int!) { customer(id: $id) { id } }", id=customer_id))[
        "customer"
    ] is None
    # Not the rest of the customer: its other records stay out of reach.
    other = await result(manager1, _create(create, input_type), customerId=customer_id, input=data)
    other_id = other["record"]["id"]
    refused = await result(sales2, _update(update, input_type), id=other_id, input=edited)
    assert refused == not_found(LABEL[kind], other_id)
