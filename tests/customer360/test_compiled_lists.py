"""The customer lists answered as one SQL statement answer exactly as Strawberry does.

Both paths are asked the same pages as users of different scopes, across views, filters,
sorts and cursors; the answers must be the same JSON (cursors included, so a cursor of one
path serves on the other) and the compiled one a constant few statements. Requests that must
fail get Strawberry's errors.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from gql_crm.db.engine import Database
from gql_crm.db.models import (
    Contact,
    Customer,
    Expense,
    FollowUp,
    Message,
    MessageRecipient,
    Notification,
    NotificationCategory,
    Opportunity,
    OptionItem,
    Order,
    PaymentRecord,
    Schedule,
    Task,
    User,
)
from gql_crm.direct.compiled_planner import Planner, Prepared
from tests.conftest import START
from tests.customer360.test_compiled import _selection, demo_company
from tests.fixtures.statements import count_statements
from tests.graphql_client import GraphQLClient

pytestmark = pytest.mark.postgres

__all__ = ["demo_company"]

LIST = """
query List($first: Int, $after: String, $filter: CustomerFilterInput, $sort: CustomerSortInput) {
  __typename
  customers(first: $first, after: $after, filter: $filter, sort: $sort) {
    __typename
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }
    edges { __typename cursor node { %s } }
    nodes { id name }
  }
}
"""
ROW = "id name city pool lastFollowUpAt createdAt owner { id name } category { label } " + (
    "maturity { label }"
)
LIST_PAGE = LIST % ROW
# A literal page size: the query cost budget counts a variable one at its maximum.
FULL_PAGE = (
    (LIST % f"__typename {_selection('Customer', 1)}")
    .replace("first: $first", "first: 2")
    .replace("$first: Int, ", "")
)


async def _both_ways(
    client: GraphQLClient,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    query: str,
    variables: dict[str, Any],
    compiled_reads: bool = True,
) -> tuple[dict[str, Any], dict[str, Any], int]:
    """Both paths' answers, and the statements of the first (which compiled reads answer
    unless it must fail, or ``compiled_reads`` is false)."""
    answered: list[str] = []
    answer = Prepared.answer

    async def spied(self: Prepared, *args: Any) -> str:
        answered.append(await answer(self, *args))
        return answered[-1]

    with monkeypatch.context() as patch:
        patch.setattr(Prepared, "answer", spied)
        async with count_statements(database) as statements:
            compiled = await client.execute(query, **variables)
    if "errors" not in compiled:
        assert bool(answered) is compiled_reads, answered
    with monkeypatch.context() as patch:
        patch.setattr(Planner, "prepare", lambda *_args: None)
        reference = await client.execute(query, **variables)
    return compiled, reference, len(statements)


async def _pages(
    client: GraphQLClient,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    query: str,
    variables: dict[str, Any],
    pages: int,
    root: str = "customers",
) -> int:
    """Reads ``pages`` pages both ways, each following the previous page's end cursor;
    the rows seen."""
    seen = 0
    after = None
    for _ in range(pages):
        page_variables = {**variables, "after": after}
        compiled, reference, statements = await _both_ways(
            client, database, monkeypatch, query, page_variables
        )
        assert json.dumps(compiled) == json.dumps(reference), page_variables
        assert "errors" not in compiled, compiled
        # The token's user and scope, then the page itself.
        assert statements <= 3, (page_variables, statements)
        connection = compiled["data"][root]
        seen += len(connection["edges"])
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    return seen


async def _filtered_pages(
    client: GraphQLClient,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    query: str,
    root: str,
    filters: list[dict[str, Any] | None],
) -> int:
    """Three pages of four under each filter, both ways (``_pages``); the rows seen."""
    seen = 0
    for filter_ in filters:
        variables = {"first": 4, "filter": filter_}
        seen += await _pages(client, database, monkeypatch, query, variables, 3, root)
    return seen


async def _filters(database: Database) -> list[dict[str, Any] | None]:
    async with database.reader() as session:
        owner = await session.scalar(select(Customer.owner_id).where(Customer.owner_id != None))  # noqa: E711
        category = await session.scalar(
            select(Customer.category_id).where(Customer.category_id != None)  # noqa: E711
        )
        assert await session.get(OptionItem, category) is not None
    return [
        None,
        {},
        {"view": "MINE"},
        {"view": "SUBORDINATES", "kind": "ENTERPRISE"},
        {"view": "SHARED"},
        {"view": "PUBLIC"},
        {"view": "CLOSED_WON"},
        {"pool": "PRIVATE", "ownerId": owner},
        {"categoryId": category, "search": "  "},
        {"ownerId": owner, "categoryId": category, "kind": "INDIVIDUAL"},
    ]


SORTS: list[dict[str, str] | None] = [
    None,
    {"field": "NAME", "direction": "ASC"},
    {"field": "NAME"},
    {"field": "ACQUIRED_ON", "direction": "ASC"},
    {"field": "LAST_FOLLOW_UP_AT"},
    {"field": "CREATED_AT", "direction": "ASC"},
]


@pytest.mark.parametrize("login_name", ["admin", "manager1", "sales1", "sales2"])
async def test_list_pages_are_the_same_both_ways(
    demo_company: None,
    gql: GraphQLClient,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    login_name: str,
) -> None:
    client = await gql.as_user(login_name)
    seen = 0
    for filter_ in await _filters(database):
        for sort in SORTS:
            variables = {"first": 7, "filter": filter_, "sort": sort}
            seen += await _pages(client, database, monkeypatch, LIST_PAGE, variables, 3)
    assert seen > 0


@pytest.mark.parametrize("login_name", ["admin", "sales1"])
async def test_every_known_customer_field_is_the_same_in_a_list(
    demo_company: None,
    gql: GraphQLClient,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    login_name: str,
) -> None:
    client = await gql.as_user(login_name)
    variables: dict[str, Any] = {"filter": None, "sort": None}
    assert await _pages(client, database, monkeypatch, FULL_PAGE, variables, 3) > 0
    default = {"filter": None, "sort": None}  # the default page size, on a lighter row
    assert await _pages(client, database, monkeypatch, LIST_PAGE, default, 2) > 0


async def test_cursors_serve_on_both_paths(
    demo_company: None, gql: GraphQLClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page's cursors are the same both ways; every edge's cursor continues the list."""
    client = await gql.as_user("admin")
    variables = {"first": 5, "filter": None, "sort": {"field": "NAME", "direction": "ASC"}}
    compiled, _reference, _ = await _both_ways(client, database, monkeypatch, LIST_PAGE, variables)
    for edge in compiled["data"]["customers"]["edges"]:
        following = {**variables, "after": edge["cursor"]}
        compiled, reference, _ = await _both_ways(
            client, database, monkeypatch, LIST_PAGE, following
        )
        assert compiled == reference
        assert compiled["data"]["customers"]["pageInfo"]["hasPreviousPage"] is True


async def test_names_that_need_escaping_make_the_same_cursors(
    demo_company: None, gql: GraphQLClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await gql.as_user("admin")
    names = ['引号"和\\反斜杠', "tab\there\nnew line\x01\x1f\x7f", "é" * 120, "\u2028 <&>"]
    async with database.writer() as session, session.begin():
        template = await session.scalar(select(Customer).limit(1))
        assert template is not None
        for name in names:
            columns = {
                c.key: getattr(template, c.key)
                for c in Customer.__table__.columns
                if c.key not in ("id", "name")
            }
            session.add(Customer(**columns, name=name))
    variables = {"first": 50, "filter": None, "sort": {"field": "NAME", "direction": "DESC"}}
    compiled, reference, _ = await _both_ways(admin, database, monkeypatch, LIST_PAGE, variables)
    assert compiled == reference
    listed = {e["node"]["name"] for e in compiled["data"]["customers"]["edges"]}
    assert set(names) <= listed


async def test_requests_that_fail_get_strawberrys_errors(
    demo_company: None, gql: GraphQLClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await gql.as_user("admin")
    failing: list[dict[str, Any]] = [
        {"first": 101},
        {"first": -1},
        {"after": "not a cursor"},
        {"after": "WzFd"},  # [1]: a cursor of another list's shape
    ]
    for variables in failing:
        compiled, reference, _ = await _both_ways(
            admin, database, monkeypatch, LIST_PAGE, variables
        )
        assert compiled == reference, variables
    # A text search is left to Strawberry (its trigram lookups are the service's).
    search: dict[str, Any] = {"first": 3, "filter": {"search": "a"}}
    compiled, reference, _ = await _both_ways(
        admin, database, monkeypatch, LIST_PAGE, search, False
    )
    assert compiled == reference
    anonymous = await gql.execute(LIST_PAGE)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    too_many = await admin.execute(LIST_PAGE, first=101)
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_cursor = await admin.execute(LIST_PAGE, after="not a cursor")
    assert "not a cursor this list produced" in bad_cursor["errors"][0]["message"]


OTHER_LIST = """
query List($first: Int, $after: String, $filter: %sFilterInput) {
  %s(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { node { %s } cursor }
    pageInfo { endCursor hasNextPage startCursor hasPreviousPage }
  }
}
"""


async def _other_filters(database: Database, model: Any, day: Any) -> list[dict[str, Any] | None]:
    async with database.reader() as session:
        row = (await session.execute(select(model.customer_id, model.owner_id, day).limit(1))).one()
    customer_id, owner_id, on = row
    return [
        None,
        {"customerId": customer_id},
        {"ownerId": owner_id, "customerId": None},
        {"search": " "},
        {"ownerId": owner_id, "from": on.isoformat()},
        {"to": on.isoformat()},
    ]


@pytest.mark.parametrize("login_name", ["admin", "manager1", "sales1", "sales2"])
async def test_order_and_opportunity_pages_are_the_same_both_ways(
    demo_company: None,
    gql: GraphQLClient,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    login_name: str,
) -> None:
    client = await gql.as_user(login_name)
    async with database.reader() as session:
        department = await session.scalar(
            select(User.department_id).where(User.department_id.is_not(None))
        )
        stage = await session.scalar(select(Opportunity.stage_id))
    lists: list[tuple[str, str, Any, Any, str, list[dict[str, Any]]]] = [
        ("Order", "orders", Order, Order.expires_on, "expires", [{"refundedOnly": True}]),
        (
            "Opportunity",
            "opportunities",
            Opportunity,
            Opportunity.expected_sign_date,
            "expected",
            [
                {"departmentId": department},
                {"stageId": stage, "outcome": "WON"},
                {"outcome": "OPEN"},
            ],
        ),
    ]
    for type_name, root, model, day, prefix, extra in lists:
        filters = [*await _other_filters(database, model, day), *extra]
        for filter_ in filters:
            if filter_ is not None:
                for end in ("from", "to"):
                    if end in filter_:
                        filter_[f"{prefix}{end.title()}"] = filter_.pop(end)
        query = OTHER_LIST % (type_name, root, _selection(type_name, 1))
        assert await _filtered_pages(client, database, monkeypatch, query, root, filters) > 0


CONTACTS = """
query List($first: Int, $after: String, $filter: ContactFilterInput, $sort: ContactSortInput) {
  contacts(first: $first, after: $after, filter: $filter, sort: $sort) {
    totalCount
    edges { node { %s } cursor }
    pageInfo { endCursor hasNextPage startCursor hasPreviousPage }
  }
}
"""


@pytest.mark.parametrize("login_name", ["admin", "manager1", "sales1", "sales2"])
async def test_contact_pages_are_the_same_both_ways(
    demo_company: None,
    gql: GraphQLClient,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    login_name: str,
) -> None:
    """Under each filter and sort, with masked phones and e-mails for who may not see them."""
    client = await gql.as_user(login_name)
    async with database.reader() as session:
        customer_id, owner_id = (
            await session.execute(
                select(Contact.customer_id, Customer.owner_id)
                .join(Customer, Customer.id == Contact.customer_id)
                .where(Customer.owner_id != None)  # noqa: E711
                .limit(1)
            )
        ).one()
    filters: list[dict[str, Any] | None] = [
        None,
        {"customerId": customer_id},
        {"ownerId": owner_id, "isPrimary": True},
        {"isPrimary": False},
        {"search": " "},
    ]
    query = CONTACTS % _selection("Contact", 1)
    seen = 0
    for sort in [None, {"field": "CREATED_AT", "descending": True}, {"field": "NAME"}]:
        for filter_ in filters:
            variables = {"first": 4, "filter": filter_, "sort": sort}
            seen += await _pages(client, database, monkeypatch, query, variables, 3, "contacts")
    assert seen > 0
    # A text search is the service's: Strawberry answers.
    search: dict[str, Any] = {"first": 3, "filter": {"search": "a"}}
    compiled, reference, _ = await _both_ways(client, database, monkeypatch, query, search, False)
    assert compiled == reference


async def test_an_order_status_filter_is_left_to_strawberry(
    demo_company: None, gql: GraphQLClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The status of an order is a matter of the company's day, which the resolver reads."""
    admin = await gql.as_user("admin")
    query = OTHER_LIST % ("Order", "orders", "id")
    variables: dict[str, Any] = {"first": 3, "filter": {"status": "UNPAID"}}
    compiled, reference, _ = await _both_ways(admin, database, monkeypatch, query, variables, False)
    assert compiled == reference


@pytest.mark.parametrize("login_name", ["admin", "manager1", "sales1", "sales2"])
async def test_lists_the_kit_declares_are_the_same_both_ways(
    demo_company: None,
    gql: GraphQLClient,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    login_name: str,
) -> None:
    """Payments and expenses are read as their ``connection`` declarations say."""
    client = await gql.as_user(login_name)
    async with database.reader() as session:
        payment = (await session.execute(select(PaymentRecord).limit(1))).scalar_one()
        order = await session.get(Order, payment.order_id)
        expense = (await session.execute(select(Expense).limit(1))).scalar_one()
        follow_up = (await session.execute(select(FollowUp).limit(1))).scalar_one()
        task = (await session.execute(select(Task).limit(1))).scalar_one()
        schedule = (await session.execute(select(Schedule).limit(1))).scalar_one()
    assert order is not None
    lists: list[tuple[str, str, str, list[dict[str, Any] | None]]] = [
        (
            "PaymentRecord",
            "Payment",
            "payments",
            [
                None,
                {"customerId": order.customer_id},
                {"orderId": payment.order_id, "paidTo": payment.paid_on.isoformat()},
                {"handlerId": payment.handler_id, "paidFrom": payment.paid_on.isoformat()},
            ],
        ),
        (
            "Expense",
            "Expense",
            "expenses",
            [
                None,
                {"status": "PENDING"},
                {"kind": "INCOME", "ownerId": expense.owner_id},
                {"customerId": expense.customer_id, "occurredTo": expense.occurred_on.isoformat()},
                {"search": ""},
            ],
        ),
        (
            "FollowUp",
            "FollowUp",
            "followUps",
            [
                None,
                {"customerId": follow_up.customer_id},
                {"authorId": follow_up.author_id, "methodId": follow_up.method_id},
            ],
        ),
        (
            "Task",
            "Task",
            "tasks",
            [None, {"done": False}, {"customerId": task.customer_id, "ownerId": task.owner_id}],
        ),
        ("Schedule", "Schedule", "schedules", [None, {"ownerId": schedule.owner_id}]),
    ]
    for type_name, filter_name, root, filters in lists:
        query = OTHER_LIST % (filter_name, root, _selection(type_name, 1))
        seen = await _filtered_pages(client, database, monkeypatch, query, root, filters)
        assert seen > 0 or login_name == "sales2", root
    # A text search is the service's: Strawberry answers it.
    query = OTHER_LIST % ("Expense", "expenses", "id")
    search: dict[str, Any] = {"first": 3, "filter": {"search": "a"}}
    compiled, reference, _ = await _both_ways(client, database, monkeypatch, query, search, False)
    assert compiled == reference


async def test_recycle_bins_are_the_same_both_ways(
    demo_company: None, gql: GraphQLClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await gql.as_user("admin")
    async with database.reader() as session:
        expenses = (await session.scalars(select(Expense.id).limit(3))).all()
    for id_ in expenses:
        deleted = await admin.data(
            "mutation($id: Int!) { deleteExpense(id: $id) { __typename } }", id=id_
        )
        assert deleted["deleteExpense"]["__typename"] == "DeleteSuccess", deleted
    node = _selection("Expense", 1)
    query = f"""
    query Bin($first: Int, $after: String) {{
      expenseRecycleBin(first: $first, after: $after) {{
        totalCount edges {{ cursor node {{ {node} }} }} pageInfo {{ endCursor hasNextPage }}
      }}
    }}
    """
    seen = await _pages(admin, database, monkeypatch, query, {"first": 2}, 3, "expenseRecycleBin")
    assert seen == len(expenses)


PAGE = "totalCount edges { cursor node { %s } } pageInfo { endCursor hasNextPage }"
# root field: (its node type, its arguments besides the page's, declared and passed)
LISTS_WITH_ARGUMENTS = {
    "notifications": ("Notification", "$unread: Boolean!", "unreadOnly: $unread"),
    "inbox": ("Message", "$unread: Boolean!", "unreadOnly: $unread"),
    "sentMessages": ("Message", "", ""),
    "operationLog": ("OperationLogEntry", "$entityId: Int", "entityId: $entityId"),
}


def _own_arguments_list(root: str) -> str:
    node, declared, passed = LISTS_WITH_ARGUMENTS[root]
    page = PAGE % _selection(node, 1)
    return (
        f"query List($first: Int, $after: String{', ' if declared else ''}{declared}) {{ "
        f"{root}(first: $first, after: $after{', ' if passed else ''}{passed}) {{ {page} }} }}"
    )


async def _bell_and_mail(database: Database) -> None:
    """Seven notifications for each demo user (two read), and messages from each to the
    others, some read: several pages, ties in time included."""
    async with database.writer() as session, session.begin():
        users = (await session.scalars(select(User.id).order_by(User.id))).all()
        for user_id in users:
            session.add_all(
                Notification(
                    user_id=user_id,
                    category=NotificationCategory.PERSONAL,
                    kind="test",
                    title=f"note {i}",
                    created_at=START - timedelta(hours=i // 2),
                    read_at=START if i < 2 else None,
                )
                for i in range(7)
            )
            for i in range(3):
                message = Message(
                    sender_id=user_id, subject=f"hello {i}", body="b", created_at=START
                )
                session.add(message)
                await session.flush()
                session.add_all(
                    MessageRecipient(
                        message_id=message.id, user_id=other, read_at=START if i == 0 else None
                    )
                    for other in users
                    if other != user_id
                )


@pytest.mark.parametrize("login_name", ["admin", "manager1", "sales1"])
async def test_lists_with_arguments_of_their_own_are_the_same_both_ways(
    demo_company: None,
    gql: GraphQLClient,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    login_name: str,
) -> None:
    """Notifications, messages and the operation log: their own flags and ids read as a
    filter's are (``unreadOnly`` chooses the statement, ``entityId`` is a parameter)."""
    client = await gql.as_user(login_name)
    await _bell_and_mail(database)
    async with database.reader() as session:
        customer_id = await session.scalar(select(Customer.id).order_by(Customer.id).limit(1))
    seen: dict[str, int] = {}
    for root, (_node, declared, _passed) in LISTS_WITH_ARGUMENTS.items():
        for unread, entity_id in ((False, None), (True, customer_id)):
            variables: dict[str, Any] = {"first": 3}
            if "$unread" in declared:
                variables["unread"] = unread
            if "$entityId" in declared:
                variables["entityId"] = entity_id
            query = _own_arguments_list(root)
            seen[root] = seen.get(root, 0) + await _pages(
                client, database, monkeypatch, query, variables, 3, root
            )
    assert seen["operationLog"] > 0
    assert seen["notifications"] == 7 + 5 and seen["sentMessages"] == 2 * 3
    # A kind of record is a text, blank or not: Strawberry answers.
    query = "query($type: String) { operationLog(first: 2, entityType: $type) { totalCount } }"
    for kind in ("customer", ""):
        compiled, reference, _ = await _both_ways(
            client, database, monkeypatch, query, {"type": kind}, False
        )
        assert compiled == reference


OPPORTUNITY = "query View($id: Int!) { opportunity(id: $id) { %s } }"
RECORD = """mutation($customerId: Int!, $task: TaskInput!, $done: TaskInput!,
  $schedule: ScheduleInput!, $call: FollowUpInput!, $visit: FollowUpInput!) {
  task: createTask(customerId: $customerId, input: $task) { __typename }
  done: createTask(customerId: $customerId, input: $done) { __typename }
  schedule: createSchedule(customerId: $customerId, input: $schedule) { __typename }
  call: createFollowUp(customerId: $customerId, input: $call) {
    ... on FollowUpSuccess { followUp { id } } }
  visit: createFollowUp(customerId: $customerId, input: $visit) { __typename } }"""


async def _records_about(gql: GraphQLClient, database: Database) -> int:
    """An opportunity of sales1 with to-dos (one done), an appointment and follow-ups (one
    deleted, by the administrator): its id."""
    async with database.reader() as session:
        sales1_id = await session.scalar(select(User.id).where(User.login_name == "sales1"))
        deal, customer = (
            await session.execute(
                select(Opportunity.id, Opportunity.customer_id)
                .where(Opportunity.owner_id == sales1_id)
                .order_by(Opportunity.id)
                .limit(1)
            )
        ).one()
    due = (START + timedelta(days=2)).isoformat()
    about = {"opportunityId": deal}
    written = await (await gql.as_user("sales1")).data(
        RECORD,
        customerId=customer,
        task={"content": "Send the quote", "dueAt": due, **about},
        done={"content": "Book the demo", "dueAt": due, "done": True, **about},
        schedule={"title": "Demo", "startsAt": due, "endsAt": due, **about},
        call={"content": "Called about seats", **about},
        visit={"content": "Visited", **about},
    )
    deleted = "mutation($id: Int!) { deleteFollowUp(id: $id) { __typename } }"
    await (await gql.as_user("admin")).data(deleted, id=written["call"]["followUp"]["id"])
    return int(deal)


@pytest.mark.parametrize("login_name", ["admin", "manager1", "sales1", "sales2"])
async def test_an_opportunity_and_its_records_are_the_same_both_ways(
    demo_company: None,
    gql: GraphQLClient,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    login_name: str,
) -> None:
    """The opportunity view (its to-dos, appointments and follow-ups, as each caller may
    see them) and a page of opportunities with theirs: one statement on either path."""
    deal = await _records_about(gql, database)
    client = await gql.as_user(login_name)
    query = OPPORTUNITY % _selection("Opportunity", 1)
    compiled, reference, statements = await _both_ways(
        client, database, monkeypatch, query, {"id": deal}
    )
    assert json.dumps(compiled) == json.dumps(reference)
    assert statements <= 3
    opportunity = compiled["data"]["opportunity"]
    if login_name == "sales2":  # another salesperson's customer
        assert opportunity is None
    else:
        assert [t["content"] for t in opportunity["tasks"]] == ["Send the quote", "Book the demo"]
        assert [s["title"] for s in opportunity["schedules"]] == ["Demo"]
        assert [f["content"] for f in opportunity["followUps"]] == ["Visited"]
    page = OTHER_LIST % ("Opportunity", "opportunities", _selection("Opportunity", 1))
    assert await _pages(client, database, monkeypatch, page, {"first": 4}, 2, "opportunities") > 0
