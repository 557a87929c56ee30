"""The direct subscription path: which documents it serves, and what it sends for them.

Behaviour over a real socket is covered by the live tests of each domain (they go through
this path whenever their documents select plain data); these pin the projection itself.
"""

from __future__ import annotations

from datetime import UTC, datetime

from gql_crm.db.models import NotificationCategory
from gql_crm.schema.message import MessageType
from gql_crm.schema.notification import NotificationPush, NotificationType, UnreadCountsType
from gql_crm.settings import Settings
from gql_crm.subscriptions.live import FEEDS
from gql_crm.web.graphql_view import CrmGraphQL

CREATED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _view() -> CrmGraphQL:
    return CrmGraphQL(Settings(secret_key="test-secret-key-that-is-long-enough-for-hs256"))


def _push() -> NotificationPush:
    return NotificationPush(
        notification=NotificationType(
            id=7,
            category=NotificationCategory.SYSTEM,
            kind="announcement",
            title="Office closed",
            body="",
            link_type=None,
            link_id=3,
            read_at=None,
            created_at=CREATED,
        ),
        unread_counts=UnreadCountsType(personal=1, system=2, total=3),
    )


def test_plain_selections_are_projected_like_graphql_would_serialize_them() -> None:
    query = """subscription Bell($full: Boolean!) { bell: notifications {
      __typename
      notification { id category createdAt readAt ...More @include(if: $full) }
      unreadCounts @skip(if: $full) { total }
      ... on NotificationPush { unreadCounts { personal } } } }
    fragment More on Notification { kind linkId }"""
    direct = _view().planner.plan(query, {"full": True}, None)
    assert direct is not None
    assert direct.feed is FEEDS["notifications"]
    assert direct.data(_push()) == {
        "bell": {
            "__typename": "NotificationPush",
            "notification": {
                "id": 7,
                "category": "SYSTEM",
                "createdAt": CREATED.isoformat(),
                "readAt": None,
                "kind": "announcement",
                "linkId": 3,
            },
            "unreadCounts": {"personal": 1},
        }
    }
    skipped = _view().planner.plan(query, {"full": False}, "Bell")
    assert skipped is not None
    assert skipped.data(_push())["bell"]["unreadCounts"] == {"total": 3, "personal": 1}


def test_root_arguments_reach_the_feed_under_their_python_names() -> None:
    direct = _view().planner.plan(
        "subscription($id: Int) { customerEvents(customerId: $id) { type customerId } }",
        {"id": 12},
        None,
    )
    assert direct is not None
    assert direct.arguments == {"customer_id": 12}


def test_fields_that_run_code_and_bad_documents_are_left_to_strawberry() -> None:
    planner = _view().planner
    message = MessageType(id=1, sender_id=2, subject="s", body="b", created_at=CREATED)
    plain = planner.plan("subscription { messages { id subject } }", None, None)
    assert plain is not None
    assert plain.data(message) == {"messages": {"id": 1, "subject": "s"}}
    for query, variables in [
        ("subscription { messages { id sender { name } } }", None),  # a loader
        ("subscription { messages { readAt } }", None),  # a resolver
        ("subscription { customerEvents { customer { id } } }", None),  # a database read
        ("subscription { gossip }", None),  # does not validate
        ("subscription { messages { id ", None),  # does not parse
        ("{ me { id } }", None),  # not a subscription
        ("subscription($id: Int) { customerEvents(customerId: $id) { type } }", {"id": "x"}),
        ("subscription { messages { id @deprecated } }", None),
    ]:
        assert planner.plan(query, variables, None) is None, query


def test_documents_over_the_servers_limits_are_left_to_strawberry() -> None:
    settings = Settings(secret_key="test-secret-key-that-is-long-enough-for-hs256", max_aliases=2)
    planner = CrmGraphQL(settings).planner
    query = "subscription { messages { a: id b: id c: id } }"
    assert planner.plan(query, None, None) is None


def test_one_plan_is_shared_by_every_client_sending_the_same_message() -> None:
    planner = _view().planner
    query = """subscription($full: Boolean!) { notifications {
      notification { id kind @include(if: $full) } } }"""
    first = planner.plan(query, {"full": True}, None)
    assert first is not None
    assert planner.plan(query, {"full": True}, None) is first
    other = planner.plan(query, {"full": False}, None)
    assert other is not None
    assert other is not first
    assert other.data(_push()) == {"notifications": {"notification": {"id": 7}}}
    assert first.data(_push()) == {
        "notifications": {"notification": {"id": 7, "kind": "announcement"}}
    }
