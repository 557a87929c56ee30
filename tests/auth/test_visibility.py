"""The visibility rules of ``gql_crm/db/visibility.py``, held to what every read path shows.

Generated from the schema: every root list (connection) is read as ``sales1``, and none may
show a record of ``sales2``'s private customers; every count equals the rows it lists.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import product
from typing import Any

from sqlalchemy import select

from gql_crm.db import visibility
from gql_crm.db.models import (
    CallRecord,
    Complaint,
    Customer,
    CustomerShare,
    Opportunity,
    Order,
    Pool,
    Schedule,
    Task,
)
from gql_crm.services.unit_of_work import Services
from tests.conftest import START
from tests.customer360.test_workbench import _seed
from tests.fixtures.factories import add_customer, stage_ids
from tests.fixtures.users import principal, user_ids
from tests.graphql_client import GraphQLClient

# Per node type, the rows of sales2's private customers that sales1 must never see.
PRIVATE_MODELS: dict[str, Any] = {
    "Customer": Customer,
    "Order": Order,
    "Opportunity": Opportunity,
    "Task": Task,
    "Schedule": Schedule,
    "CallRecord": CallRecord,
    "Complaint": Complaint,
}
ROOT_LISTS = """{ __schema { queryType { fields { name
  args { name type { kind } }
  type { kind name ofType { kind name ofType { name } } } } } } }"""
TYPE_FIELDS = """query($name: String!) { __type(name: $name) { fields { name }
  possibleTypes { name } } }"""


def _named(type_ref: dict[str, Any]) -> str | None:
    while type_ref.get("name") is None and type_ref.get("ofType"):
        type_ref = type_ref["ofType"]
    name: str | None = type_ref.get("name")
    return name


async def _root_connections(admin: GraphQLClient) -> dict[str, set[str]]:
    """Root fields returning a connection that need no argument, with their node types."""
    fields = (await admin.data(ROOT_LISTS))["__schema"]["queryType"]["fields"]
    found: dict[str, set[str]] = {}
    for f in fields:
        connection = _named(f["type"]) or ""
        if not connection.endswith("Connection") or any(
            a["type"]["kind"] == "NON_NULL" for a in f["args"]
        ):
            continue
        node = connection.removesuffix("Connection")
        described = (await admin.data(TYPE_FIELDS, name=node))["__type"]
        found[f["name"]] = {t["name"] for t in described["possibleTypes"] or []} | {node}
    return found


async def _seed_opportunities(services: Services) -> None:
    users, stages = await user_ids(services), await stage_ids(services)
    async with services.database.writer() as session, session.begin():
        for customer in await session.scalars(select(Customer)):
            assert customer.owner_id is not None
            session.add(
                Opportunity(
                    customer_id=customer.id,
                    title=f"deal with {customer.name}",
                    stage_id=next(iter(stages.values())),
                    amount=Decimal("1000.00"),
                    probability=50,
                    owner_id=customer.owner_id,
                    created_by_id=users["admin"],
                    created_at=START,
                    updated_at=START,
                )
            )


async def _hidden(services: Services, owner_id: int) -> set[tuple[str, int]]:
    async with services.database.reader() as session:
        private = select(Customer.id).where(Customer.owner_id == owner_id)
        found = {("Customer", cid) for cid in await session.scalars(private)}
        for typename, model in PRIVATE_MODELS.items():
            if model is Customer:
                continue
            rows = await session.scalars(select(model.id).where(model.customer_id.in_(private)))
            found |= {(typename, rid) for rid in rows}
    return found


async def test_no_root_list_shows_a_colleague_s_private_records(
    admin: GraphQLClient, gql: GraphQLClient, services: Services
) -> None:
    await _seed(services, "sales1", 1)
    await _seed(services, "sales2", 2)
    await _seed_opportunities(services)
    sales1 = await gql.as_user("sales1")
    sales2_id = (await user_ids(services))["sales2"]
    hidden = await _hidden(services, sales2_id)
    assert {typename for typename, _ in hidden} == set(PRIVATE_MODELS)

    node_types = await _root_connections(admin)
    lists = list(node_types)
    assert {"customers", "orders", "opportunities", "operationLog", "recycleBin"} <= set(lists)
    seen: set[tuple[str, int]] = set()
    for name in lists:
        body = await sales1.execute(
            f"{{ list: {name}(first: 100) {{ totalCount edges {{ node {{ __typename "
            f"{_id_selection(node_types[name])} }} }} }} }}"
        )
        if body.get("errors"):
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (name, body)
            continue
        listed = body["data"]["list"]
        nodes = [edge["node"] for edge in listed["edges"]]
        assert listed["totalCount"] == len(nodes), name  # every list here is under a page
        shown = {(node["__typename"], node["id"]) for node in nodes if "id" in node}
        assert not shown & hidden, (name, shown & hidden)
        seen |= shown
    # Not vacuous: sales1's own customer, orders and records were listed.
    assert {"Customer", "Order", "Opportunity"} <= {typename for typename, _ in seen}


def _id_selection(node_types: set[str]) -> str:
    """The id of the nodes that may be private records; other nodes show their type only."""
    return " ".join(f"... on {t} {{ id }}" for t in sorted(node_types & set(PRIVATE_MODELS)))


async def test_funnel_totals_equal_the_listed_opportunities(
    gql: GraphQLClient, services: Services
) -> None:
    await _seed(services, "sales1", 1)
    await _seed(services, "sales2", 1)
    await _seed_opportunities(services)
    for login in ("sales1", "manager1", "admin"):
        client = await gql.as_user(login)
        data = await client.data(
            "{ salesFunnel { count amount } "
            "opportunities(first: 100) { totalCount edges { node { amount } } } }"
        )
        listed = data["opportunities"]
        assert sum(stage["count"] for stage in data["salesFunnel"]) == listed["totalCount"]
        assert sum(Decimal(stage["amount"]) for stage in data["salesFunnel"]) == sum(
            Decimal(edge["node"]["amount"]) for edge in listed["edges"]
        )


async def test_the_python_twin_of_customer_visibility_matches_the_sql(
    services: Services,
) -> None:
    """``visibility.customer_visible`` (events, loaded rows) says what the SQL says, for every
    pool, owner and share, as every demo user."""
    users = await user_ids(services)
    owners: list[int | None] = [None, *users.values()]
    async with services.database.writer() as session, session.begin():
        for n, (pool, owner, shared) in enumerate(product(Pool, owners, (False, True))):
            if (owner is None) != (pool in visibility.OPEN_POOLS):
                continue
            customer = await add_customer(session, f"c{n}", owner, pool)
            if shared:
                session.add(
                    CustomerShare(
                        customer_id=customer.id,
                        user_id=users["sales2"],
                        shared_by_id=users["admin"],
                        created_at=START,
                    )
                )
    async with services.database.reader() as session:
        rows = (await session.execute(select(Customer.id, Customer.pool, Customer.owner_id))).all()
        shares = set(await session.scalars(select(CustomerShare.customer_id)))
        for login in users:
            who = await principal(services, login)
            in_sql = set(await session.scalars(select(Customer.id).where(visibility.customer(who))))
            in_python = {
                cid
                for cid, pool, owner in rows
                if visibility.customer_visible(
                    who, pool, owner, shared=cid in shares and who.user_id == users["sales2"]
                )
            }
            assert in_sql == in_python, login
