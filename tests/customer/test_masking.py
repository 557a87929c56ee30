"""Every sensitive value in the schema is masked for a caller without the right to see it.

The fields are found in the schema itself, from the masks their columns declare; a String
field named like a phone number or an e-mail must be declared sensitive or listed here as
not being one, so a field added without its mask fails. Each is read, by every read path
(compiled SQL on PostgreSQL, Strawberry everywhere), as a salesperson on a public-pool
customer they neither own nor share, and must be the mask of what an administrator sees.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)
from sqlalchemy import select

from gql_crm.auth.masking import MASKS, Mask
from gql_crm.db.masking import sensitive_columns, sensitive_models
from gql_crm.db.models import CallRecord, Contact, OperationLog, Pool, User
from gql_crm.direct.compiled_planner import Planner
from gql_crm.schema import build_schema
from gql_crm.schema.masking import MASK_METADATA
from gql_crm.services.unit_of_work import Services
from tests.conftest import START
from tests.fixtures.factories import make_customer
from tests.fixtures.statements import count_statements
from tests.fixtures.users import user_ids
from tests.graphql_client import GraphQLClient

SCHEMA = build_schema()._schema
LOOKS_SENSITIVE = re.compile("phone|mobile|email|number", re.IGNORECASE)
NOT_SENSITIVE = {("Invoice", "number")}  # the invoice's own reference


def _fields() -> list[tuple[str, str, Any]]:
    """(type, field, strawberry definition) of every field of an object or interface type."""
    return [
        (type_.name, name, field.extensions.get("strawberry-definition"))
        for type_ in SCHEMA.type_map.values()
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)
        and not type_.name.startswith("__")
        for name, field in type_.fields.items()
    ]


def _sensitive() -> dict[tuple[str, str], Mask]:
    return {
        (type_name, name): definition.metadata[MASK_METADATA]
        for type_name, name, definition in _fields()
        if definition is not None and MASK_METADATA in (definition.metadata or {})
    }


SENSITIVE = _sensitive()

# How to reach each type with sensitive fields from a record the salesperson may see but
# is not theirs; FIELD stands for the field's name.
QUERIES = {
    "Contact": "{ customer(id: $id) { contacts { FIELD } primaryContact { FIELD } } }",
    "CallRecord": "{ customer(id: $id) { callRecords { nodes { FIELD } } } }",
    "User": "{ customer(id: $id) { callRecords { nodes { owner { FIELD } } } } }",
}


def _is_text(type_name: str, name: str) -> bool:
    type_ = SCHEMA.get_type(type_name)
    assert isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)
    named = get_named_type(type_.fields[name].type)
    return isinstance(named, GraphQLScalarType) and named.name == "String"


def test_every_field_named_like_contact_details_is_declared() -> None:
    undeclared = [
        (type_name, name)
        for type_name, name, _definition in _fields()
        if LOOKS_SENSITIVE.search(name)
        and _is_text(type_name, name)
        and (type_name, name) not in SENSITIVE
        and (type_name, name) not in NOT_SENSITIVE
    ]
    assert undeclared == [], "declare a mask on the column or list the field as not sensitive"


def test_every_declared_column_is_shown_masked_and_reachable() -> None:
    declared = {
        (model, name, mask)
        for model in sensitive_models()
        for name, mask in sensitive_columns(model).items()
    }
    shown = {
        (d.metadata["model"], d.metadata["column"], d.metadata[MASK_METADATA])
        for _type_name, _name, d in _fields()
        if d is not None and MASK_METADATA in (d.metadata or {})
    }
    assert shown == declared
    assert {(Contact, "mobile", Mask.PHONE), (CallRecord, "caller_number", Mask.PHONE)} <= shown
    assert {type_name for type_name, _ in SENSITIVE} <= QUERIES.keys()


@pytest.fixture
async def foreign_customer(services: Services) -> int:
    """A public-pool customer with a contact and a call handled by sales2."""
    customer_id = await make_customer(services, None, "Open Co", Pool.PUBLIC)
    users = await user_ids(services)
    async with services.database.writer() as session, session.begin():
        session.add(
            Contact(
                customer_id=customer_id,
                name="Li Ming",
                mobile="13812345678",
                phone="021-5432-1098",
                email="li.ming@open.example",
                is_primary=True,
                created_at=START,
                updated_at=START,
            )
        )
        session.add(
            CallRecord(
                customer_id=customer_id,
                owner_id=users["sales2"],
                created_by_id=users["sales2"],
                caller_number="13987654321",
                called_at=START,
                content="Asked for a quote",
                created_at=START,
                updated_at=START,
            )
        )
    return customer_id


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize(("type_name", "field"), sorted(SENSITIVE))
async def test_sensitive_field_is_masked_without_the_right(
    gql: GraphQLClient,
    services: Services,
    foreign_customer: int,
    monkeypatch: pytest.MonkeyPatch,
    type_name: str,
    field: str,
) -> None:
    query = "query($id: Int!) " + QUERIES[type_name].replace("FIELD", field)
    admin = await gql.as_user("admin")
    sales1 = await gql.as_user("sales1")
    raw = _strings(await admin.data(query, id=foreign_customer))
    assert raw and all(len(value) > 7 for value in raw)
    expected = [MASKS[SENSITIVE[type_name, field]](value) for value in raw]
    assert not set(expected) & set(raw)

    async with count_statements(services.database) as statements:
        first = _strings(await sales1.data(query, id=foreign_customer))
    if services.database.dialect == "postgresql":
        statements.assert_at_most(3)  # compiled reads answer this view
    with monkeypatch.context() as patch:
        patch.setattr(Planner, "prepare", lambda *_args: None)
        by_strawberry = _strings(await sales1.data(query, id=foreign_customer))
    assert first == by_strawberry == expected


async def test_caller_numbers_are_logged_masked(gql: GraphQLClient, services: Services) -> None:
    sales1 = await gql.as_user("sales1")
    customer_id = await make_customer(services, "sales1", "Mine")
    record = """
    mutation($customerId: Int!, $input: CallRecordInput!) {
      createCallRecord(customerId: $customerId, input: $input) {
        ... on CustomerRecordSuccess { record { id ... on CallRecord { callerNumber } } }
      }
    }
    """
    call = {"callerNumber": "13812345678", "calledAt": START.isoformat(), "content": "Hello"}
    created = await sales1.data(record, customerId=customer_id, input=call)
    record_id = created["createCallRecord"]["record"]["id"]
    assert created["createCallRecord"]["record"]["callerNumber"] == "13812345678"  # their own
    update = """
    mutation($id: Int!, $input: CallRecordInput!) {
      updateCallRecord(id: $id, input: $input) { __typename }
    }
    """
    changed = await sales1.data(update, id=record_id, input={**call, "callerNumber": "13999998888"})
    assert changed["updateCallRecord"]["__typename"] == "CustomerRecordSuccess"
    async with services.database.reader() as session:
        changes = await session.scalar(
            select(OperationLog.changes).where(
                OperationLog.entity_type == "call_record",
                OperationLog.entity_id == record_id,
                OperationLog.action == "update",
            )
        )
    assert changes == {"callerNumber": ["138****5678", "139****8888"]}


async def test_a_users_own_details_are_not_masked(gql: GraphQLClient, services: Services) -> None:
    sales1 = await gql.as_user("sales1")
    me = (await sales1.data("{ me { phone email } }"))["me"]
    async with services.database.reader() as session:
        user = await session.scalar(select(User).where(User.login_name == "sales1"))
    assert user is not None and me == {"phone": user.phone, "email": user.email}
