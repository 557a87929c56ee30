"""A customer's sub-lists are connections: any number of records read page by page, with the
same pages and cursors whether Strawberry or the compiled statement answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from gql_crm.db.models import FollowUp, User
from gql_crm.direct.compiled_planner import Planner
from gql_crm.services.unit_of_work import Services
from tests.conftest import START
from tests.customer360.test_statement_counts import customer_with, one_and_50_customers
from tests.fixtures.factories import make_customer
from tests.fixtures.statements import count_statements, counted_data
from tests.graphql_client import GraphQLClient

# Every sub-list of the customer view, with a field to tell its records apart.
SUB_LISTS = {
    "followUps": "id",
    "opportunities": "id",
    "orders": "id",
    "tasks": "id",
    "schedules": "id",
    "notes": "id",
    "callRecords": "id",
    "complaints": "id",
    "serviceRecords": "id",
    "paymentPlans": "id met",
    "payments": "id",
    "invoices": "id",
    "expenses": "id",
    "operationLog": "id",
}

PAGE = """
query($id: Int!, $first: Int!, $after: String) {{
  customer(id: $id) {{
    {field}(first: $first, after: $after) {{
      totalCount
      pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
      edges {{ cursor node {{ {selection} }} }}
      nodes {{ {selection} }}
    }}
  }}
}}
"""

Ask = Callable[[str, dict[str, Any]], Any]


async def _both_paths(
    client: GraphQLClient, monkeypatch: pytest.MonkeyPatch, database: Database
) -> list[Ask]:
    """How to ask: as the server answers (compiled on PostgreSQL), and through Strawberry."""

    async def served(query: str, variables: dict[str, Any]) -> Any:
        data, counted = await counted_data(client, database, query, **variables)
        counted.assert_at_most(3)  # the caller, then one statement: compiled
        assert "json_build_object" in counted.statements[-1]
        return data

    async def resolved(query: str, variables: dict[str, Any]) -> Any:
        with monkeypatch.context() as patch:
            patch.setattr(Planner, "prepare", lambda *_args: None)
            return await client.data(query, **variables)

    return [served, resolved] if database.dialect == "postgresql" else [resolved]


async def _follow_ups(services: Services, customer_id: int, times: list[datetime]) -> None:
    """Follow-ups by sales1 on the customer, one at each time."""
    async with services.database.writer() as session, session.begin():
        author = await session.scalar(select(User.id).where(User.login_name == "sales1"))
        session.add_all(
            FollowUp(
                customer_id=customer_id,
                content=f"f{j}",
                followed_at=at,
                author_id=author,
                created_at=at,
            )
            for j, at in enumerate(times)
        )


async def _read_all(ask: Ask, field: str, customer_id: int, first: int) -> list[dict[str, Any]]:
    """Every page of ``field`` in turn, checking each page's shape; the pages' connections."""
    query = PAGE.format(field=field, selection=SUB_LISTS[field])
    pages: list[dict[str, Any]] = []
    after = None
    while True:
        data = await ask(query, {"id": customer_id, "first": first, "after": after})
        page = data["customer"][field]
        edges, info = page["edges"], page["pageInfo"]
        assert page["nodes"] == [edge["node"] for edge in edges]
        assert len(edges) <= first
        assert info["hasPreviousPage"] is (after is not None)
        cursors = [edge["cursor"] for edge in edges]
        assert info["startCursor"] == (cursors[0] if cursors else None)
        assert info["endCursor"] == (cursors[-1] if cursors else None)
        pages.append(page)
        if not info["hasNextPage"]:
            return pages
        assert len(edges) == first
        after = info["endCursor"]


async def test_300_follow_ups_page_by_page_both_ways(
    admin: GraphQLClient,
    services: Services,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customer_id = await make_customer(services, "sales1", "Busy customer")
    now = clock.now()
    # pairs at the same time: the id decides between them
    await _follow_ups(services, customer_id, [now - timedelta(minutes=j // 2) for j in range(300)])
    async with services.database.reader() as session:
        newest_first = list(
            await session.scalars(
                select(FollowUp.id)
                .where(FollowUp.customer_id == customer_id)
                .order_by(FollowUp.followed_at.desc(), FollowUp.id.desc())
            )
        )
    answers = []
    for ask in await _both_paths(admin, monkeypatch, services.database):
        pages = await _read_all(ask, "followUps", customer_id, 70)
        assert [len(page["edges"]) for page in pages] == [70, 70, 70, 70, 20]
        assert {page["totalCount"] for page in pages} == {300}
        ids = [edge["node"]["id"] for page in pages for edge in page["edges"]]
        assert ids == newest_first
        answers.append(json.dumps(pages))
    assert len(set(answers)) == 1  # the same pages and cursors on both paths
    # `first` as before: the newest 20 by default
    data = await admin.data(
        "query($id: Int!) { customer(id: $id) { followUps { nodes { id } } } }", id=customer_id
    )
    assert [n["id"] for n in data["customer"]["followUps"]["nodes"]] == newest_first[:20]


async def test_every_sub_list_pages_through_what_one_page_shows(
    admin: GraphQLClient,
    services: Services,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """30 records in every part (schedules past and upcoming, tasks done and open...), read
    7 at a time: the same records in the same order as one page of 100, on both paths."""
    now = clock.now()
    clock.set(now - timedelta(hours=12, minutes=30))  # so that some schedules are past now
    customer_id = await customer_with(services, clock, 30)
    clock.set(now)
    answers = []
    for ask in await _both_paths(admin, monkeypatch, services.database):
        answer = {}
        for field in SUB_LISTS:
            (whole,) = await _read_all(ask, field, customer_id, 100)
            pages = await _read_all(ask, field, customer_id, 7)
            assert [e for page in pages for e in page["edges"]] == whole["edges"], field
            assert {page["totalCount"] for page in pages} == {whole["totalCount"]}, field
            if field != "opportunities" and field != "operationLog":
                assert whole["totalCount"] == 30, field
            answer[field] = pages
        answers.append(json.dumps(answer))
    assert len(set(answers)) == 1


async def test_past_the_end_and_bad_arguments(
    admin: GraphQLClient, services: Services, clock: FrozenClock
) -> None:
    customer_id = await customer_with(services, clock, 3)
    query = PAGE.format(field="tasks", selection="id")
    (page,) = await _read_all(lambda q, v: admin.data(q, **v), "tasks", customer_id, 3)
    after_last = await admin.data(
        query, id=customer_id, first=3, after=page["pageInfo"]["endCursor"]
    )
    assert after_last["customer"]["tasks"] == {
        "totalCount": 3,
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": True,
            "startCursor": None,
            "endCursor": None,
        },
        "edges": [],
        "nodes": [],
    }
    for variables in ({"first": 101}, {"first": -1}, {"first": 3, "after": "nonsense"}):
        answer = await admin.execute(query, **{"id": customer_id, **variables})
        assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", answer
        assert answer["data"] == {"customer": None}


LIST = """
{ customers(first: 50) { edges { node {
  id
  followUps(first: 5) { totalCount edges { cursor node { id content } } }
  tasks(first: 5) { totalCount nodes { id } pageInfo { hasNextPage endCursor } }
  paymentPlans(first: 5) { totalCount nodes { id met } }
} } } }
"""


async def test_sub_lists_of_50_customers_cost_one_statement_each(
    admin: GraphQLClient, services: Services, clock: FrozenClock
) -> None:
    small, large = await one_and_50_customers(admin, services, clock, LIST, 7)
    assert len(small) == len(large)
    # the caller, the page, its count-free connection, and one statement per sub-list
    large.assert_at_most(6)
    async with count_statements(services) as counted:
        data = await admin.data(LIST)
    customers = data["customers"]["edges"]
    assert len(customers) == 50
    assert sorted(c["node"]["tasks"]["totalCount"] for c in customers)[-49:] == [7] * 49
    assert len(counted) == len(large)


async def test_the_benchmark_view_is_answered_by_one_statement(
    admin: GraphQLClient, services: Services, clock: FrozenClock
) -> None:
    """The view `bench/customer_view.py` measures stays compiled in its page shape."""
    if services.database.dialect != "postgresql":
        pytest.skip("compiled reads run on PostgreSQL")
    from bench.customer_view import OURS

    customer_id = await customer_with(services, clock, 7)
    data, counted = await counted_data(admin, services, OURS, id=customer_id)
    counted.assert_at_most(3)
    assert "json_build_object" in counted.statements[-1]
    assert len(data["customer"]["followUps"]["nodes"]) == 5


async def test_a_page_that_reads_no_row_still_answers_once(
    admin: GraphQLClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the count, or only whether a cursor was given: one answer for a customer with
    no follow-ups and for one with several, on both paths."""
    empty = await make_customer(services, "sales1", "Quiet customer")
    busy = await make_customer(services, "sales1", "Busy customer")
    await _follow_ups(services, busy, [START] * 3)
    query = """query($id: Int!) { customer(id: $id) {
      count: followUps { totalCount } given: followUps { pageInfo { hasPreviousPage } }
      typename: followUps(first: 1) { __typename } } }"""
    for ask in await _both_paths(admin, monkeypatch, services.database):
        for customer_id, total in ((empty, 0), (busy, 3)):
            data = (await ask(query, {"id": customer_id}))["customer"]
            assert data["count"] == {"totalCount": total}
            assert data["given"] == {"pageInfo": {"hasPreviousPage": False}}
            assert data["typename"] == {"__typename": "FollowUpConnection"}
