"""Compiled reads (one SQL statement per customer view) answer exactly as Strawberry does.

Every field the compiled graph claims is selected, for demo customers in every pool, as
users with different scopes and rights; the answer must be the same JSON, keys in the same
order, and cost a constant three statements. Requests that must fail go to Strawberry.
"""

from __future__ import annotations

import json

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
    get_nullable_type,
)
from sqlalchemy import String, inspect, literal, select, text
from starlette.applications import Starlette
from starlette.routing import Route

from gql_crm.auth.masking import MASKS, Mask, sees_customer_details, sees_user_details
from gql_crm.clock import FrozenClock
from gql_crm.db.base import Base
from gql_crm.db.engine import Database
from gql_crm.db.masking import SQL_MASKS, details_visible
from gql_crm.db.models import Contact, Customer, CustomerShare, Pool, User
from gql_crm.db.scopes import load_principal
from gql_crm.direct.compiled_graph import TABLES, Inline, Many, One, Table
from gql_crm.direct.compiled_planner import Planner, Statement, Statements
from gql_crm.schema import build_schema
from gql_crm.seed.demo import seed_demo
from gql_crm.services.setting import ensure_defaults
from gql_crm.services.unit_of_work import Services
from gql_crm.settings import Settings
from gql_crm.web.graphql_view import CrmGraphQL
from tests.conftest import DEMO_PASSWORD, SNAPSHOTS, START
from tests.customer360.test_statement_counts import customer_with
from tests.fixtures.factories import make_customer
from tests.fixtures.statements import count_statements, counted_data
from tests.fixtures.users import user_ids
from tests.graphql_client import GraphQLClient

pytestmark = pytest.mark.postgres

SCHEMA = build_schema()._schema
UNCOMPILED_SCALARS = {"JSON", "Upload", "Float"}


def _selection(type_name: str, depth: int) -> str:
    """Every field of the type that compiled reads answer, and below it to ``depth``."""
    type_ = SCHEMA.get_type(type_name)
    assert isinstance(type_, GraphQLObjectType)
    table = TABLES[type_name]
    fields = []
    for name, field in type_.fields.items():
        named = get_named_type(field.type)
        spec = table.fields.get(name)
        if isinstance(named, GraphQLScalarType | GraphQLEnumType):
            if isinstance(get_nullable_type(field.type), GraphQLList):
                continue  # a list of values (an announcement's audience) is not compiled
            definition = field.extensions["strawberry-definition"]
            plain = definition.base_resolver is None and definition.python_name in (
                inspect(table.model).columns
            )
            if (spec is not None or plain) and named.name not in UNCOMPILED_SCALARS:
                fields.append(name)
        elif isinstance(spec, Inline):
            fields.append(f"{name} {{ {' '.join(spec.fields)} }}")
        elif isinstance(spec, Many) and spec.paged and depth > 0:
            node = _node_type(named.name)
            fields.append(_page(name, "", _selection(node, depth - 1)))
        elif isinstance(spec, One | Many) and depth > 0:
            fields.append(f"{name} {{ {_selection(named.name, depth - 1)} }}")
    return " ".join(fields)


def _node_type(connection: str) -> str:
    type_ = SCHEMA.get_type(connection)
    assert isinstance(type_, GraphQLObjectType)
    name: str = get_named_type(type_.fields["nodes"].type).name
    return name


def _page(name: str, arguments: str, selection: str) -> str:
    info = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
    return (
        f"{name}{arguments} {{ totalCount {info} edges {{ cursor node {{ {selection} }} }} "
        f"nodes {{ {selection} }} __typename }}"
    )


# The customer's connections, each read again after its first record's cursor (variables).
PAGED = [
    name
    for name, spec in TABLES["Customer"].fields.items()
    if isinstance(spec, Many) and spec.paged
]
AFTER_VIEW = f"""
query After($id: Int!, {", ".join(f"${name}: String" for name in PAGED)}) {{
  customer(id: $id) {{
    {" ".join(_page(name, f"(first: 2, after: ${name})", "id") for name in PAGED)}
  }}
}}
"""

FULL_VIEW = f"""
query View($id: Int!) {{
  __typename
  customer(id: $id) {{ __typename {_selection("Customer", 2)} }}
  again: customer(id: $id) {{ ...Short ... on Customer {{ pool }} }}
}}
fragment Short on Customer {{
  id name tasks(first: 1) {{ nodes {{ content }} }} followUps(first: 0) {{ edges {{ cursor }} }}
}}
"""


@pytest.fixture
async def demo_company(settings: Settings, database: Database) -> None:
    """The whole demo company, customers and their records included. Seeded once per test
    process and kept in a snapshot, then copied back for each test: the seed takes seconds,
    the copy a fraction of one."""
    if database.dialect != "postgresql":
        pytest.skip("compiled reads run on PostgreSQL")
    tables = [f'"{table.name}"' for table in Base.metadata.sorted_tables]
    async with database.writer() as session, session.begin():
        await session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        if await session.scalar(text(f"SELECT to_regclass('{SNAPSHOTS}.demo_sequences')")):
            # Rows as the seed left them, keys included: no trigger checks them again.
            await session.execute(text("SET LOCAL session_replication_role = replica"))
            for table in tables:
                copy = f"INSERT INTO {table} SELECT * FROM {SNAPSHOTS}.{table}"
                await session.execute(text(copy))
            await session.execute(
                text(f"SELECT setval(name::regclass, value) FROM {SNAPSHOTS}.demo_sequences")
            )
            return
        await ensure_defaults(session)
    await seed_demo(settings, database, password=DEMO_PASSWORD, now=START)
    async with database.writer() as session, session.begin():
        await session.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SNAPSHOTS}"))
        for table in tables:
            await session.execute(text(f"CREATE TABLE {SNAPSHOTS}.{table} AS TABLE {table}"))
        await session.execute(
            text(
                f"CREATE TABLE {SNAPSHOTS}.demo_sequences AS"
                " SELECT format('%I.%I', schemaname, sequencename) AS name, last_value AS value"
                " FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
            )
        )


async def _both_ways(
    client: GraphQLClient,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    customer_id: int,
    query: str = FULL_VIEW,
    **afters: str | None,
) -> tuple[str, str, int]:
    async with count_statements(database) as statements:
        compiled = await client.execute(query, id=customer_id, **afters)
    with monkeypatch.context() as patch:
        patch.setattr(Planner, "prepare", lambda *_args: None)
        reference = await client.execute(query, id=customer_id, **afters)
    return json.dumps(compiled), json.dumps(reference), len(statements)


def _first_cursors(answer: str) -> dict[str, str | None]:
    """Each connection's first cursor in an answer (null for an empty one)."""
    customer = json.loads(answer)["data"]["customer"] or {}
    return {name: customer.get(name, {}).get("pageInfo", {}).get("startCursor") for name in PAGED}


@pytest.mark.parametrize("login_name", ["admin", "manager1", "sales1", "sales2"])
async def test_the_full_view_is_the_same_both_ways(
    demo_company: None,
    gql: GraphQLClient,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    login_name: str,
) -> None:
    client = await gql.as_user(login_name)
    async with database.reader() as session:
        ids = list(await session.scalars(select(Customer.id).order_by(Customer.id)))
    assert len(ids) >= 100
    seen = paged_after = 0
    for customer_id in [*ids[::6], 10**6]:
        compiled, reference, statements = await _both_ways(
            client, database, monkeypatch, customer_id
        )
        assert compiled == reference, customer_id
        # The token's user and scope, then the view itself: however much the customer has.
        assert statements <= 3, (customer_id, statements)
        seen += '"customer": {' in compiled
        # and the pages after each connection's first record
        afters = _first_cursors(compiled)
        compiled, reference, statements = await _both_ways(
            client, database, monkeypatch, customer_id, AFTER_VIEW, **afters
        )
        assert compiled == reference, (customer_id, afters)
        assert statements <= 3, (customer_id, statements)
        paged_after += sum(1 for cursor in afters.values() if cursor is not None)
    assert seen > 0  # a view that only ever says null proves nothing
    assert paged_after > 0
    assert "compiled read failed" not in caplog.text


async def test_requests_that_fail_get_strawberrys_errors(
    demo_company: None, gql: GraphQLClient
) -> None:
    anonymous = await gql.execute(FULL_VIEW, id=1)
    assert anonymous["data"] == {"__typename": "Query", "customer": None, "again": None}
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    admin = await gql.as_user("admin")
    too_many = await admin.execute("{ customer(id: 1) { tasks(first: 101) { nodes { id } } } }")
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert too_many["data"] == {"customer": None}
    bad_variable = await admin.execute("query($id: Int!) { customer(id: $id) { id } }", id="x")
    assert bad_variable["errors"] and bad_variable.get("data") is None
    # null for an argument whose default makes a nullable variable acceptable
    for query, variables in [
        (
            "query($n: Int) { customer(id: 1) { followUps(first: $n) { nodes { id } } } }",
            {"n": None},
        ),
        ("query($id: Int = 1) { customer(id: $id) { id } }", {"id": None}),
    ]:
        answer = await admin.execute(query, **variables)
        assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", answer


PHONES = [
    None,
    "",
    "1",
    "1234567",
    "12345678",
    "13812345678",
    "+86 138 1234 5678",
    "电话号码很长的",
]
EMAILS = [None, "", "a", "@", "@b.c", "a@", "ab@c.d", "a@b@c", "张三@例子.中国", "x"]


SAMPLES = {Mask.PHONE: PHONES, Mask.EMAIL: EMAILS}


def test_every_mask_has_its_sql_form_and_samples() -> None:
    assert set(MASKS) == set(SQL_MASKS) == set(SAMPLES) == set(Mask)


@pytest.mark.parametrize(
    ("mask", "value"), [(mask, value) for mask in Mask for value in SAMPLES.get(mask, ())]
)
async def test_the_sql_masks_are_the_python_masks(
    database: Database, mask: Mask, value: str | None
) -> None:
    if database.dialect != "postgresql":
        pytest.skip("the SQL masks are PostgreSQL's")
    async with database.reader() as session:
        masked = await session.scalar(select(SQL_MASKS[mask](literal(value, String()))))
    assert masked == MASKS[mask](value)


async def test_who_sees_details_is_the_same_rule_in_python_and_sql(
    database: Database, services: Services
) -> None:
    """``sees_customer_details`` and ``sees_user_details`` (the resolvers') say what
    ``details_visible`` (the compiled reads') says, for every user and every kind of customer:
    own, a subordinate's, shared with someone, in the public pool."""
    users = await user_ids(services)
    customers = [
        await make_customer(services, "sales1", "Own"),
        await make_customer(services, "sales2", "Shared"),
        await make_customer(services, "sales2", "Not shared"),
        await make_customer(services, "manager1", "Manager's"),
        await make_customer(services, None, "Public", Pool.PUBLIC),
    ]
    async with database.writer() as session, session.begin():
        session.add(
            CustomerShare(customer_id=customers[1], user_id=users["sales1"], created_at=START)
        )
        for customer_id in customers:
            contact = Contact(customer_id=customer_id, name="c", created_at=START, updated_at=START)
            session.add(contact)
    seen_masked = seen_unmasked = 0
    async with database.reader() as session:
        for user in await session.scalars(select(User)):
            principal = await load_principal(session, user.id, user.token_version)
            assert principal is not None
            rows = await session.execute(
                select(
                    Contact.customer_id, Customer.owner_id, details_visible(principal, Contact)
                ).join(Customer, Customer.id == Contact.customer_id)
            )
            for customer_id, owner_id, in_sql in rows:
                shared = await session.scalars(
                    select(CustomerShare.user_id).where(CustomerShare.customer_id == customer_id)
                )
                in_python = sees_customer_details(principal, owner_id, set(shared))
                assert in_python == bool(in_sql), (user.login_name, customer_id)
                seen_masked += not in_python
                seen_unmasked += in_python
            for other in await session.scalars(select(User.id)):
                own = await session.scalar(
                    select(details_visible(principal, User)).where(User.id == other)
                )
                assert sees_user_details(principal, other) == bool(
                    principal.sees_contact_details or own
                ), (user.login_name, other)
    assert seen_masked and seen_unmasked


def test_every_compiled_table_names_a_model_of_its_type() -> None:
    for name, table in TABLES.items():
        assert isinstance(SCHEMA.get_type(name), GraphQLObjectType), name
        assert isinstance(table, Table) and inspect(table.model).columns, name


async def test_a_failing_statement_is_answered_by_strawberry(
    demo_company: None,
    gql: GraphQLClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = await gql.as_user("admin")
    reference = await admin.execute(FULL_VIEW, id=1)
    broken = Statement("SELECT no_such_column", None, None)
    monkeypatch.setattr(Statements, "get", lambda *_args: broken)
    assert await admin.execute(FULL_VIEW, id=1) == reference
    assert "compiled read failed" in caplog.text


async def test_one_statement_for_the_view_with_1_or_30_records_per_part(
    demo_company: None, admin: GraphQLClient, services: Services, clock: FrozenClock
) -> None:
    one = await customer_with(services, clock, 1)
    thirty = await customer_with(services, clock, 30)
    counts = []
    for customer_id in (one, thirty):
        data, counted = await counted_data(admin, services, FULL_VIEW, id=customer_id)
        assert len(data["customer"]["tasks"]["edges"]) == (1 if customer_id == one else 20)
        counted.assert_at_most(3)
        counts.append(len(counted))
    assert counts[0] == counts[1], counts


async def test_a_variable_page_size_is_read_per_request(
    demo_company: None, gql: GraphQLClient, database: Database
) -> None:
    admin = await gql.as_user("admin")
    query = "query($n: Int!) { customer(id: 1) { followUps(first: $n) { nodes { id } } } }"
    for n in (0, 2, 3):
        data, counted = await counted_data(admin, database, query, n=n)
        assert len(data["customer"]["followUps"]["nodes"]) == n
        counted.assert_at_most(3)
    too_many = await admin.execute(query, n=101)
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_callers_with_the_same_rights_share_one_statement(
    demo_company: None, gql: GraphQLClient, app: Starlette, database: Database
) -> None:
    """The caller's id and visible owners are parameters, not part of the SQL text. Callers
    who see only their own records read them as "owner = the caller", which a generic plan
    estimates from the owners' statistics."""
    view = next(route.endpoint for route in app.routes if isinstance(route, Route))
    assert isinstance(view, CrmGraphQL) and view.compiled is not None
    statements = view.compiled.statements
    for login_name in ("sales1", "sales2"):
        client = await gql.as_user(login_name)
        assert (await client.data(FULL_VIEW, id=1))["__typename"] == "Query"
    planned = view.compiled.plan(FULL_VIEW, None)
    assert planned is not None
    assert len(statements._cache) == 1  # both salespeople: one statement
    (statement,) = statements._cache.values()
    assert statement.owners is None and statement.caller is not None
    assert "= ANY(CAST(" not in statement.sql


async def test_what_sql_cannot_write_is_left_to_strawberry_when_planning(
    demo_company: None,
    gql: GraphQLClient,
    app: Starlette,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A list of values, or more fields than one JSON object takes, is decided once, while
    planning: no statement is tried and failed on every request."""
    view = next(route.endpoint for route in app.routes if isinstance(route, Route))
    assert isinstance(view, CrmGraphQL) and view.compiled is not None
    own = _selection("Customer", 0)
    aliases = " ".join(f"a{i}: id" for i in range(30))  # as many aliases as a document may
    assert len(own.split()) + 30 > 50
    documents = [
        "{ workbench { announcements { id audienceIds } } }",
        f"{{ customer(id: 1) {{ {own} {aliases} }} }}",
    ]
    admin = await gql.as_user("admin")
    for document in documents:
        assert view.compiled.plan(document, None) is None, document
        assert "errors" not in await admin.execute(document)
    assert view.compiled.plan(f"{{ customer(id: 1) {{ {own} }} }}", None) is not None
    assert "compiled read failed" not in caplog.text
