"""Queries and helpers shared by the pool tests (placement, claims, bans, transfers, shares)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gql_crm.db.models import (
    Customer,
    CustomerBan,
    CustomerShare,
    FollowUp,
    OperationLog,
)
from gql_crm.services.pool_release import release_due
from gql_crm.services.setting import get_settings
from gql_crm.services.unit_of_work import Services, UnitOfWork
from tests.fixtures.factories import select_rows
from tests.fixtures.graphql import mutation_of, result, succeeded, success
from tests.graphql_client import GraphQLClient

CUSTOMER_FIELDS = """
  id name pool ownerId temporaryOrigin poolEnteredAt lastFollowUpAt closedWonAt maturityId
  poolRelease { at reason }
"""
_DETAILS = {
    "PoolCapReachedError": "pool cap",
    "ClaimBannedError": "reason until",
    "BatchRefusedError": "failures { customerId reason }",
    "InvalidInputError": "problems { field message }",
}


def errors(*types: str) -> str:
    """Selections for the error members of a result union (every Error, plus details)."""
    details = " ".join(f"... on {t} {{ {_DETAILS[t]} }}" for t in types)
    return f"... on Error {{ code message field }} {details}"


CREATE = f"""
mutation($input: CustomerInput!, $contacts: [ContactInput!]) {{
  result: createCustomer(input: $input, contacts: $contacts) {{
    __typename
    ... on CustomerSuccess {{ customer {{ {CUSTOMER_FIELDS} }} }}
    {errors("PoolCapReachedError", "InvalidInputError")}
  }}
}}
"""
UPDATE = f"""
mutation($id: Int!, $input: CustomerUpdateInput!) {{
  result: updateCustomer(id: $id, input: $input) {{
    __typename
    ... on CustomerSuccess {{ customer {{ {CUSTOMER_FIELDS} }} }}
    {errors("PoolCapReachedError", "InvalidInputError")}
  }}
}}
"""
CLAIM = f"""
mutation($id: Int!) {{
  result: claimCustomer(id: $id) {{
    __typename
    ... on CustomerSuccess {{ customer {{ {CUSTOMER_FIELDS} }} }}
    {errors("PoolCapReachedError", "ClaimBannedError")}
  }}
}}
"""
_BATCH_ERRORS = errors("PoolCapReachedError", "BatchRefusedError", "InvalidInputError")
TRANSFER = mutation_of(
    "$ids: [Int!]!, $toUserId: Int, $toPool: TransferPool",
    "transferCustomers(customerIds: $ids, toUserId: $toUserId, toPool: $toPool)",
    success("CustomersSuccess", f"customers {{ {CUSTOMER_FIELDS} }}", _BATCH_ERRORS),
)
_SHARES = success("CustomersSuccess", "customers { id sharedWith { id } }", _BATCH_ERRORS)
SHARE = mutation_of(
    "$ids: [Int!]!, $userIds: [Int!]!",
    "shareCustomers(customerIds: $ids, userIds: $userIds)",
    _SHARES,
)
UNSHARE = mutation_of(
    "$ids: [Int!]!, $userIds: [Int!]!",
    "unshareCustomers(customerIds: $ids, userIds: $userIds)",
    _SHARES,
)
FOLLOW_UP = """
mutation($customerId: Int!, $input: FollowUpInput!) {
  result: createFollowUp(customerId: $customerId, input: $input) {
    __typename
    ... on FollowUpSuccess { followUp { id customerId followedAt authorId } }
    ... on Error { code message field }
  }
}
"""
CUSTOMER = f"""
query($id: Int!) {{
  customer(id: $id) {{
    {CUSTOMER_FIELDS}
    sharedWith {{ id }}
    operationLog(first: 100) {{ nodes {{ action changes actorId }} }}
  }}
}}
"""
SETTINGS = """
mutation($input: SystemSettingsInput!) {
  result: updateSystemSettings(input: $input) {
    __typename
    ... on Error { code message field }
  }
}
"""


def when(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


async def create(
    client: GraphQLClient,
    name: str,
    maturity_id: int | None = None,
    contacts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Enter a customer; it must succeed. Returns the customer."""
    out = await result(
        client, CREATE, input={"name": name, "maturityId": maturity_id}, contacts=contacts
    )
    return succeeded(out, "CustomerSuccess", "customer")


async def update_maturity(
    client: GraphQLClient, customer_id: int, name: str, maturity_id: int | None
) -> dict[str, Any]:
    return await result(
        client, UPDATE, id=customer_id, input={"name": name, "maturityId": maturity_id}
    )


async def claim(client: GraphQLClient, customer_id: int) -> dict[str, Any]:
    return await result(client, CLAIM, id=customer_id)


async def transfer(
    client: GraphQLClient,
    ids: list[int],
    to_user_id: int | None = None,
    to_pool: str | None = None,
) -> dict[str, Any]:
    return await result(client, TRANSFER, ids=ids, toUserId=to_user_id, toPool=to_pool)


async def follow_up(
    client: GraphQLClient, customer_id: int, followed_at: datetime | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {"content": "Called the buyer"}
    if followed_at is not None:
        payload["followedAt"] = followed_at.isoformat()
    return await result(client, FOLLOW_UP, customerId=customer_id, input=payload)


async def customer(client: GraphQLClient, customer_id: int) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (await client.data(CUSTOMER, id=customer_id))["customer"]
    return found


async def visible(client: GraphQLClient, customer_id: int) -> dict[str, Any]:
    found = await customer(client, customer_id)
    assert found is not None, f"customer {customer_id} is not visible"
    return found


async def set_settings(admin: GraphQLClient, **fields: Any) -> None:
    out = await result(admin, SETTINGS, input=fields)
    assert out["__typename"] == "SystemSettingsSuccess", out


def log_actions(found: dict[str, Any]) -> list[str]:
    """Operation-log actions of a customer, oldest first."""
    return [entry["action"] for entry in reversed(found["operationLog"]["nodes"])]


async def release(services: Services) -> list[int]:
    """Run the release job once, at the clock's current time, as the system (no actor)."""
    async with UnitOfWork(services, None) as uow:
        settings = await get_settings(uow.session)
        return await release_due(uow, settings)


@dataclass(frozen=True, slots=True)
class State:
    """Every column of every row a pool operation may change, to prove that a refusal changed
    nothing."""

    customers: list[tuple[Any, ...]]
    log: list[tuple[Any, ...]]
    shares: list[tuple[Any, ...]]
    bans: list[tuple[Any, ...]]
    follow_ups: list[tuple[Any, ...]]


async def snapshot(services: Services) -> State:
    tables = [
        await select_rows(services, *model.__table__.columns, order_by=model.__table__.primary_key)
        for model in (Customer, OperationLog, CustomerShare, CustomerBan, FollowUp)
    ]
    return State(*tables)


async def bans(services: Services, customer_id: int) -> list[tuple[int, str, datetime | None]]:
    """(user id, reason, until) of every ban on the customer, oldest first."""
    found = await select_rows(
        services,
        CustomerBan.user_id,
        CustomerBan.reason,
        CustomerBan.until,
        where=[CustomerBan.customer_id == customer_id],
        order_by=[CustomerBan.id],
    )
    return [(uid, str(reason), until) for uid, reason, until in found]
