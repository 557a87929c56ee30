"""GraphQL documents and helpers shared by the customer, contact, follow-up and option tests."""

from __future__ import annotations

from typing import Any

from tests.graphql_client import GraphQLClient

ERRORS = """
    ... on Error { code message field }
    ... on InvalidInputError { problems { field message } }
"""

PLAIN_ERRORS = "... on Error { code message field }"
CONTACT_FIELDS = "id customerId name gender mobile phone email title isPrimary createdAt updatedAt"
FOLLOW_UP_FIELDS = """
    id customerId contactId methodId content followedAt nextStep authorId createdAt
    method { label } author { loginName } contactName
"""
CUSTOMER_SCALARS = """
    id kind name shortName acquiredOn city address website remarks
    pool poolEnteredAt temporaryOrigin lastFollowUpAt closedWonAt createdAt updatedAt deletedAt
    ownerId categoryId sourceId statusId industryId maturityId
"""
CUSTOMER_FIELDS = f"""
    {CUSTOMER_SCALARS}
    category {{ label }} source {{ label }} status {{ label }} industry {{ label }}
    maturity {{ label pool }} owner {{ loginName }} sharedWith {{ loginName }}
    poolRelease {{ at reason }}
    contacts {{ {CONTACT_FIELDS} }}
    primaryContact {{ id name }}
    followUps(first: 100) {{ {FOLLOW_UP_FIELDS} }}
"""

CUSTOMER = f"query($id: Int!) {{ customer(id: $id) {{ {CUSTOMER_FIELDS} }} }}"
CUSTOMER_LOG = """
query($id: Int!) { customer(id: $id) { operationLog { action changes actor { loginName } } } }
"""
CUSTOMERS = """
query($filter: CustomerFilterInput, $sort: CustomerSortInput, $first: Int, $after: String) {
  customers(filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name acquiredOn lastFollowUpAt createdAt } }
  }
}
"""
RECYCLE_BIN = "{ recycleBin(first: 100) { totalCount edges { node { id name deletedAt } } } }"
LOG = """
query($type: String!, $id: Int!) {
  operationLog(entityType: $type, entityId: $id, first: 100) {
    edges { node { action changes actor { loginName } } }
  }
}
"""
OPTIONS = "query($list: OptionList) { options(list: $list) { id list label sortOrder } }"
MATURITY = "{ systemSettings { maturityOptions { id label pool } } }"
USERS = "{ users(first: 100) { edges { node { id loginName } } } }"

CUSTOMER_RESULT = (
    f"__typename ... on CustomerSuccess {{ customer {{ {CUSTOMER_FIELDS} }} }} {ERRORS}"
)
CREATE_CUSTOMER = f"""
mutation($input: CustomerInput!, $contacts: [ContactInput!]) {{
  result: createCustomer(input: $input, contacts: $contacts) {{ {CUSTOMER_RESULT} }}
}}
"""
UPDATE_CUSTOMER = f"""
mutation($id: Int!, $input: CustomerInput!) {{
  result: updateCustomer(id: $id, input: $input) {{ {CUSTOMER_RESULT} }}
}}
"""
_BIN_RESULT = (
    f"__typename ... on CustomerSuccess {{ customer {{ {CUSTOMER_FIELDS} }} }} {PLAIN_ERRORS}"
)
DELETE_CUSTOMER = f"mutation($id: Int!) {{ result: deleteCustomer(id: $id) {{ {_BIN_RESULT} }} }}"
RESTORE_CUSTOMER = f"mutation($id: Int!) {{ result: restoreCustomer(id: $id) {{ {_BIN_RESULT} }} }}"
PURGE_CUSTOMER = f"""
mutation($id: Int!) {{
  result: purgeCustomer(id: $id) {{ __typename ... on DeleteSuccess {{ id }} {PLAIN_ERRORS} }}
}}
"""
CLAIM = f"mutation($id: Int!) {{ result: claimCustomer(id: $id) {{ {_BIN_RESULT} }} }}"
SHARE = """
mutation($customerIds: [Int!]!, $userIds: [Int!]!) {
  result: shareCustomers(customerIds: $customerIds, userIds: $userIds) {
    __typename ... on CustomersSuccess { customers { id } } ... on Error { code message }
  }
}
"""
TRANSFER_TO_POOL = """
mutation($customerIds: [Int!]!, $pool: TransferPool!) {
  result: transferCustomers(customerIds: $customerIds, toPool: $pool) {
    __typename ... on CustomersSuccess { customers { id } } ... on Error { code message }
  }
}
"""

CONTACT_RESULT = f"__typename ... on ContactSuccess {{ contact {{ {CONTACT_FIELDS} }} }} {ERRORS}"
ADD_CONTACT = f"""
mutation($customerId: Int!, $input: ContactInput!) {{
  result: addContact(customerId: $customerId, input: $input) {{ {CONTACT_RESULT} }}
}}
"""
UPDATE_CONTACT = f"""
mutation($id: Int!, $input: ContactInput!) {{
  result: updateContact(id: $id, input: $input) {{ {CONTACT_RESULT} }}
}}
"""
DELETE_CONTACT = f"""
mutation($id: Int!) {{
  result: deleteContact(id: $id) {{ __typename ... on DeleteSuccess {{ id }} {PLAIN_ERRORS} }}
}}
"""

FOLLOW_UP_RESULT = (
    f"__typename ... on FollowUpSuccess {{ followUp {{ {FOLLOW_UP_FIELDS} }} }} {ERRORS}"
)
CREATE_FOLLOW_UP = f"""
mutation($customerId: Int!, $input: FollowUpInput!) {{
  result: createFollowUp(customerId: $customerId, input: $input) {{ {FOLLOW_UP_RESULT} }}
}}
"""
UPDATE_FOLLOW_UP = f"""
mutation($id: Int!, $input: FollowUpInput!) {{
  result: updateFollowUp(id: $id, input: $input) {{ {FOLLOW_UP_RESULT} }}
}}
"""
DELETE_FOLLOW_UP = f"""
mutation($id: Int!) {{
  result: deleteFollowUp(id: $id) {{ __typename ... on DeleteSuccess {{ id }} {PLAIN_ERRORS} }}
}}
"""
UPDATE_FORM = f"""
mutation($form: FormName!, $fields: [FormFieldInput!]!) {{
  result: updateFormSettings(form: $form, fields: $fields) {{
    __typename
    ... on FormSettingsSuccess {{ settings {{ form fields {{ field shown required }} }} }}
    {ERRORS}
  }}
}}
"""
FORM_SETTINGS = (
    "query($form: FormName!) { formSettings(form: $form) { form fields { field shown required } } }"
)


async def forbidden(client: GraphQLClient, mutation: str, **variables: Any) -> None:
    """The mutation is refused at the top level with FORBIDDEN and returns no data."""
    body = await client.execute(mutation, **variables)
    assert body["data"] is None, body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], body


async def result(client: GraphQLClient, mutation: str, **variables: Any) -> dict[str, Any]:
    """The ``result`` of a mutation that must not fail at the top level."""
    data: dict[str, Any] = (await client.data(mutation, **variables))["result"]
    return data


def invalid(*problems: tuple[str, str]) -> dict[str, Any]:
    """The exact InvalidInputError for these (field, message) problems."""
    return {
        "__typename": "InvalidInputError",
        "code": "INVALID_INPUT",
        "message": "; ".join(f"{field}: {message}" for field, message in problems),
        "field": problems[0][0],
        "problems": [{"field": field, "message": message} for field, message in problems],
    }


def error(typename: str, code: str, message: str, field: str | None = "id") -> dict[str, Any]:
    return {"__typename": typename, "code": code, "message": message, "field": field}


def not_found(entity: str, entity_id: int, field: str | None = "id") -> dict[str, Any]:
    message = f"{entity} {entity_id} does not exist or is not visible to you."
    return error("NotFoundError", "NOT_FOUND", message, field)


async def option_ids(client: GraphQLClient) -> dict[str, dict[str, int]]:
    """list (e.g. 'SOURCE') -> label -> id."""
    ids: dict[str, dict[str, int]] = {}
    for row in (await client.data(OPTIONS))["options"]:
        ids.setdefault(row["list"], {})[row["label"]] = row["id"]
    return ids


async def option_rows(client: GraphQLClient, option_list: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (await client.data(OPTIONS, list=option_list))["options"]
    return rows


async def maturity_ids(client: GraphQLClient) -> dict[str, int]:
    rows = (await client.data(MATURITY))["systemSettings"]["maturityOptions"]
    return {row["label"]: row["id"] for row in rows}


async def user_ids(client: GraphQLClient) -> dict[str, int]:
    edges = (await client.data(USERS))["users"]["edges"]
    return {edge["node"]["loginName"]: edge["node"]["id"] for edge in edges}


async def create(
    client: GraphQLClient,
    name: str,
    contacts: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Create a customer that must be accepted; returns it."""
    created = await result(
        client, CREATE_CUSTOMER, input={"name": name, **fields}, contacts=contacts
    )
    assert created["__typename"] == "CustomerSuccess", created
    customer: dict[str, Any] = created["customer"]
    return customer


async def customer(client: GraphQLClient, customer_id: int) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (await client.data(CUSTOMER, id=customer_id))["customer"]
    return found


async def customers(client: GraphQLClient, **arguments: Any) -> dict[str, Any]:
    connection: dict[str, Any] = (await client.data(CUSTOMERS, **arguments))["customers"]
    return connection


async def names(client: GraphQLClient, **arguments: Any) -> list[str]:
    """Names of a whole (single-page) list, in the list's order."""
    connection = await customers(client, first=100, **arguments)
    return [edge["node"]["name"] for edge in connection["edges"]]


async def total(client: GraphQLClient) -> int:
    count: int = (await customers(client, first=0))["totalCount"]
    return count


async def customer_log(client: GraphQLClient, customer_id: int) -> list[dict[str, Any]]:
    found = (await client.data(CUSTOMER_LOG, id=customer_id))["customer"]
    assert found is not None
    entries: list[dict[str, Any]] = found["operationLog"]
    return entries


async def log(client: GraphQLClient, entity_type: str, entity_id: int) -> list[dict[str, Any]]:
    edges = (await client.data(LOG, type=entity_type, id=entity_id))["operationLog"]["edges"]
    return [edge["node"] for edge in edges]


async def bin_names(client: GraphQLClient) -> list[str]:
    edges = (await client.data(RECYCLE_BIN))["recycleBin"]["edges"]
    return [edge["node"]["name"] for edge in edges]
