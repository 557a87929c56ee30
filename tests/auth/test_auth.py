from __future__ import annotations

from datetime import timedelta

from gql_crm.clock import FrozenClock
from tests.graphql_client import GraphQLClient

ME = "{ me { id loginName } }"
CHANGE_PASSWORD = """
mutation($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new) {
    __typename
    ... on LoginSuccess { token }
    ... on InvalidInputError { code field }
  }
}
"""


async def test_login_returns_a_token_that_identifies_the_user(gql: GraphQLClient) -> None:
    result = await gql.login("sales1", "demo-password")
    assert result["__typename"] == "LoginSuccess"
    assert result["user"]["loginName"] == "sales1"
    client = GraphQLClient(gql.http, result["token"])
    assert (await client.data(ME))["me"]["loginName"] == "sales1"


async def test_unknown_user_and_wrong_password_fail_alike(gql: GraphQLClient) -> None:
    unknown = await gql.login("nobody", "demo-password")
    wrong = await gql.login("sales1", "not-the-password")
    assert unknown == wrong
    assert unknown["code"] == "INVALID_CREDENTIALS"


async def test_me_without_a_token_is_unauthenticated(gql: GraphQLClient) -> None:
    assert await gql.error_codes(ME) == ["UNAUTHENTICATED"]
    forged = GraphQLClient(gql.http, "not.a.token")
    assert await forged.error_codes(ME) == ["UNAUTHENTICATED"]


async def test_token_stops_working_when_it_expires(
    sales1: GraphQLClient, clock: FrozenClock
) -> None:
    clock.advance(timedelta(hours=11, minutes=59))
    assert (await sales1.data(ME))["me"]["loginName"] == "sales1"
    clock.advance(timedelta(minutes=1))
    assert await sales1.error_codes(ME) == ["UNAUTHENTICATED"]


async def test_deactivation_ends_sessions_and_blocks_login(
    admin: GraphQLClient, sales1: GraphQLClient, gql: GraphQLClient
) -> None:
    deactivate = "mutation($id: Int!) { setUserActive(id: $id, active: false) { __typename } }"
    assert (await admin.data(deactivate, id=sales1.user_id))["setUserActive"] == {
        "__typename": "UserSuccess"
    }
    assert await sales1.error_codes(ME) == ["UNAUTHENTICATED"]
    assert (await gql.login("sales1", "demo-password"))["code"] == "INVALID_CREDENTIALS"

    activate = "mutation($id: Int!) { setUserActive(id: $id, active: true) { __typename } }"
    await admin.data(activate, id=sales1.user_id)
    assert (await gql.login("sales1", "demo-password"))["__typename"] == "LoginSuccess"
    assert await sales1.error_codes(ME) == ["UNAUTHENTICATED"], "old tokens stay revoked"


async def test_repeated_failures_lock_the_login_name_for_a_while(
    gql: GraphQLClient, clock: FrozenClock
) -> None:
    for _ in range(5):
        assert (await gql.login("sales2", "wrong-password"))["code"] == "INVALID_CREDENTIALS"
    locked = await gql.login("sales2", "demo-password")
    assert locked["code"] == "TOO_MANY_ATTEMPTS"
    assert "2026-03-02T09:15:00" in locked["message"]
    # Other login names are not affected, and unknown names are throttled the same way.
    assert (await gql.login("sales3", "demo-password"))["__typename"] == "LoginSuccess"
    for _ in range(5):
        await gql.login("ghost", "x")
    assert (await gql.login("ghost", "x"))["code"] == "TOO_MANY_ATTEMPTS"

    clock.advance(timedelta(minutes=15))
    assert (await gql.login("sales2", "demo-password"))["__typename"] == "LoginSuccess"


async def test_failures_spread_beyond_the_window_do_not_lock(
    gql: GraphQLClient, clock: FrozenClock
) -> None:
    for _ in range(4):
        await gql.login("sales2", "wrong-password")
    clock.advance(timedelta(minutes=16))
    for _ in range(4):
        await gql.login("sales2", "wrong-password")
    assert (await gql.login("sales2", "demo-password"))["__typename"] == "LoginSuccess"


async def test_success_clears_the_failure_count(gql: GraphQLClient) -> None:
    for _ in range(4):
        await gql.login("sales2", "wrong-password")
    assert (await gql.login("sales2", "demo-password"))["__typename"] == "LoginSuccess"
    for _ in range(4):
        await gql.login("sales2", "wrong-password")
    assert (await gql.login("sales2", "demo-password"))["__typename"] == "LoginSuccess"


async def test_change_own_password_revokes_old_tokens(
    sales1: GraphQLClient, gql: GraphQLClient
) -> None:
    wrong = await sales1.data(CHANGE_PASSWORD, current="nope-nope", new="new-password-1")
    assert wrong["changePassword"] == {
        "__typename": "InvalidInputError",
        "code": "INVALID_INPUT",
        "field": "currentPassword",
    }
    short = await sales1.data(CHANGE_PASSWORD, current="demo-password", new="short")
    assert short["changePassword"]["field"] == "newPassword"
    assert (await sales1.data(ME))["me"]["loginName"] == "sales1", "refusals change nothing"

    changed = await sales1.data(CHANGE_PASSWORD, current="demo-password", new="new-password-1")
    new_token = changed["changePassword"]["token"]
    assert await sales1.error_codes(ME) == ["UNAUTHENTICATED"]
    assert (await GraphQLClient(gql.http, new_token).data(ME))["me"]["loginName"] == "sales1"
    assert (await gql.login("sales1", "demo-password"))["code"] == "INVALID_CREDENTIALS"
    assert (await gql.login("sales1", "new-password-1"))["__typename"] == "LoginSuccess"


async def test_admin_resets_a_password(
    admin: GraphQLClient, sales1: GraphQLClient, gql: GraphQLClient
) -> None:
    reset = """mutation($id: Int!, $pw: String!) {
      resetPassword(id: $id, newPassword: $pw) { __typename ... on Error { field } } }"""
    short = await admin.data(reset, id=sales1.user_id, pw="short")
    assert short["resetPassword"] == {"__typename": "InvalidInputError", "field": "newPassword"}
    assert (await admin.data(reset, id=sales1.user_id, pw="reset-password-1"))["resetPassword"][
        "__typename"
    ] == "UserSuccess"
    assert await sales1.error_codes(ME) == ["UNAUTHENTICATED"]
    assert (await gql.login("sales1", "reset-password-1"))["__typename"] == "LoginSuccess"
    reset_again = (
        'mutation($id: Int!) { resetPassword(id: $id, newPassword: "whatever-123") { __typename } }'
    )
    assert await sales1.error_codes(reset_again, id=sales1.user_id) == ["UNAUTHENTICATED"]
