"""Employee accounts (F1.2) through the GraphQL endpoint: the directory, masking, lifecycle."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.fixtures.errors import conflict, forbidden, invalid, not_found
from tests.fixtures.graphql import (
    delete,
    department_ids,
    log,
    mutation_of,
    position_ids,
    result,
    success,
)
from tests.fixtures.users import user_ids
from tests.graphql_client import GraphQLClient

PASSWORD = "demo-password"

USER_FIELDS = "id loginName name isActive departmentId positionId phone email"
USERS = f"""
query($first: Int, $after: String, $search: String, $departmentId: Int,
      $includeInactive: Boolean! = false) {{
  users(first: $first, after: $after, search: $search, departmentId: $departmentId,
        includeInactive: $includeInactive) {{
    totalCount
    pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
    edges {{ cursor node {{ {USER_FIELDS} }} }}
  }}
}}
"""
USER = f"query($id: Int!) {{ user(id: $id) {{ {USER_FIELDS} }} }}"
ME = f"{{ me {{ {USER_FIELDS} department {{ name }} position {{ name }} }} }}"
DEPARTMENTS = "{ departments { id name members { loginName } } }"
USER_RESULT = success("UserSuccess", f"user {{ {USER_FIELDS} }}")
CREATE = mutation_of("$input: CreateUserInput!", "createUser(input: $input)", USER_RESULT)
UPDATE = mutation_of(
    "$id: Int!, $input: UserInput!", "updateUser(id: $id, input: $input)", USER_RESULT
)
SET_ACTIVE = mutation_of(
    "$id: Int!, $active: Boolean!", "setUserActive(id: $id, active: $active)", USER_RESULT
)
RESET_PASSWORD = mutation_of(
    "$id: Int!, $newPassword: String!",
    "resetPassword(id: $id, newPassword: $newPassword)",
    USER_RESULT,
)
DELETE = delete("deleteUser")

DEMO_NAMES = ["Administrator", "Li Na", "Liu Yang", "Wang Wei", "Zhang Min"]


async def users(client: GraphQLClient, **arguments: Any) -> dict[str, Any]:
    connection: dict[str, Any] = (await client.data(USERS, **arguments))["users"]
    return connection


def names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


async def everyone(admin: GraphQLClient) -> list[dict[str, Any]]:
    """Every user that is not deleted, as the admin sees them (a snapshot for 'unchanged')."""
    connection = await users(admin, first=100, includeInactive=True)
    return [edge["node"] for edge in connection["edges"]]


def cursor(values: object) -> str:
    """A cursor in the server's encoding (base64url JSON), for forging bad ones."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# --- create ---------------------------------------------------------------------------------


async def test_admin_creates_a_user_who_can_then_sign_in(
    admin: GraphQLClient, gql: GraphQLClient
) -> None:
    departments = await department_ids(admin)
    positions = await position_ids(admin)

    created = await result(
        admin,
        CREATE,
        input={
            "loginName": "sales4",
            "password": "s3cret-enough",
            "name": "  Chen Jie ",
            "departmentId": departments["Sales Dept 2"],
            "positionId": positions["Sales staff"],
            "phone": "+86 138-5555-6666",
            "email": "chen.jie@example.com",
        },
    )

    assert created["__typename"] == "UserSuccess"
    user = created["user"]
    expected = {
        "id": user["id"],
        "loginName": "sales4",
        "name": "Chen Jie",
        "isActive": True,
        "departmentId": departments["Sales Dept 2"],
        "positionId": positions["Sales staff"],
        "phone": "+86 138-5555-6666",
        "email": "chen.jie@example.com",
    }
    assert user == expected
    assert (await admin.data(USER, id=user["id"]))["user"] == expected
    assert names(await users(admin, search="sales4")) == ["Chen Jie"]
    assert await log(admin, "user", user["id"]) == [
        {
            "action": "create",
            "changes": {"loginName": [None, "sales4"]},
            "actor": {"loginName": "admin"},
        }
    ]

    assert (await gql.login("sales4", "wrong-password"))["code"] == "INVALID_CREDENTIALS"
    sales4 = await gql.as_user("sales4", "s3cret-enough")
    assert (await sales4.data(ME))["me"] == {
        **expected,
        "department": {"name": "Sales Dept 2"},
        "position": {"name": "Sales staff"},
    }


async def test_a_user_needs_only_a_login_name_password_and_name(admin: GraphQLClient) -> None:
    created = await result(
        admin, CREATE, input={"loginName": "temp.worker", "password": "12345678", "name": "Temp"}
    )
    assert created["user"] == {
        "id": created["user"]["id"],
        "loginName": "temp.worker",
        "name": "Temp",
        "isActive": True,
        "departmentId": None,
        "positionId": None,
        "phone": None,
        "email": None,
    }


async def test_a_taken_login_name_is_a_conflict(admin: GraphQLClient) -> None:
    before = await everyone(admin)
    refused = await result(
        admin, CREATE, input={"loginName": "sales1", "password": "long-enough", "name": "Copy"}
    )
    assert refused == conflict("The login name 'sales1' is taken.", "loginName")
    assert await everyone(admin) == before
    assert names(await users(admin, search="Copy")) == []


async def test_a_deleted_users_login_name_stays_reserved(admin: GraphQLClient) -> None:
    sales2 = (await user_ids(admin))["sales2"]
    await result(admin, DELETE, id=sales2)
    refused = await result(
        admin, CREATE, input={"loginName": "sales2", "password": "long-enough", "name": "New"}
    )
    assert (refused["code"], refused["field"]) == ("CONFLICT", "loginName")
    assert names(await users(admin, search="sales2", includeInactive=True)) == []


async def test_bad_fields_are_all_reported_and_nothing_is_created(admin: GraphQLClient) -> None:
    before = await everyone(admin)

    refused = await result(
        admin,
        CREATE,
        input={
            "loginName": "new user",
            "password": "short",
            "name": "New user",
            "phone": "call me",
            "email": "new.user@",
            "departmentId": 999_999,
            "positionId": 999_998,
        },
    )

    assert refused == invalid(
        ("loginName", "must be 2-64 letters, digits or the characters _ . @ -"),
        ("password", "Password must have at least 8 characters."),
        ("phone", "'call me' is not a phone number (digits, spaces, '+', '-', parentheses)"),
        ("email", "'new.user@' is not an e-mail address"),
        ("departmentId", "department 999999 does not exist"),
        ("positionId", "position 999998 does not exist"),
    )
    # The form's declared limits are checked before these rules, and reported together.
    too_long = {"loginName": "new_user", "password": "long enough", "name": "N" * 101}
    assert await result(admin, CREATE, input=too_long) == invalid(
        ("name", "must have at most 100 characters (has 101)")
    )
    assert await everyone(admin) == before
    assert (await users(admin, search="new", includeInactive=True))["totalCount"] == 0


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"loginName": "x"}, "loginName", "must be 2-64 letters, digits or the characters _ . @ -"),
        (
            {"loginName": "l" * 65},
            "loginName",
            "must be 2-64 letters, digits or the characters _ . @ -",
        ),
        ({"password": "1234567"}, "password", "Password must have at least 8 characters."),
        ({"password": "p" * 129}, "password", "Password must have at most 128 characters."),
        ({"name": "   "}, "name", "must not be empty"),
        ({"name": "n" * 101}, "name", "must have at most 100 characters (has 101)"),
        (
            {"phone": "12"},
            "phone",
            "'12' is not a phone number (digits, spaces, '+', '-', parentheses)",
        ),
        (
            {"phone": "138abcd5678"},
            "phone",
            "'138abcd5678' is not a phone number (digits, spaces, '+', '-', parentheses)",
        ),
        ({"email": "no-at-sign"}, "email", "'no-at-sign' is not an e-mail address"),
        ({"email": "a@b"}, "email", "'a@b' is not an e-mail address"),
    ],
)
async def test_each_bad_field_is_named(
    admin: GraphQLClient, fields: dict[str, str], field: str, message: str
) -> None:
    before = await everyone(admin)
    good = {"loginName": "newbie", "password": "long-enough", "name": "Newbie"}
    refused = await result(admin, CREATE, input={**good, **fields})
    assert refused == invalid((field, message))
    assert await everyone(admin) == before


# --- update ---------------------------------------------------------------------------------


async def test_update_a_user(admin: GraphQLClient) -> None:
    ids = await user_ids(admin)
    departments = await department_ids(admin)
    positions = await position_ids(admin)
    before = (await admin.data(USER, id=ids["sales2"]))["user"]

    updated = await result(
        admin,
        UPDATE,
        id=ids["sales2"],
        input={
            "name": "Zhang Min (lead)",
            "departmentId": departments["Sales Dept 2"],
            "positionId": positions["Sales manager"],
            "phone": "010-6666-7777",
            "email": "zm@example.com",
        },
    )

    expected = {
        **before,
        "name": "Zhang Min (lead)",
        "departmentId": departments["Sales Dept 2"],
        "positionId": positions["Sales manager"],
        "phone": "010-6666-7777",
        "email": "zm@example.com",
    }
    assert updated == {"__typename": "UserSuccess", "user": expected}
    assert (await admin.data(USER, id=ids["sales2"]))["user"] == expected
    members = {
        row["name"]: [m["loginName"] for m in row["members"]]
        for row in (await admin.data(DEPARTMENTS))["departments"]
    }
    assert members["Sales Dept 2"] == ["sales3", "sales2"]  # by name: Liu Yang, Zhang Min...
    assert "sales2" not in members["Sales Dept 1"]
    [entry] = await log(admin, "user", ids["sales2"])
    assert entry["action"] == "update"
    assert entry["changes"] == {
        "name": ["Zhang Min", "Zhang Min (lead)"],
        "departmentId": [departments["Sales Dept 1"], departments["Sales Dept 2"]],
        "positionId": [positions["Sales staff"], positions["Sales manager"]],
        # Contact details are logged masked: the log has readers without the right.
        "phone": ["138****4444", "010******7777"],
        "email": ["z***@example.com", "z***@example.com"],
    }


async def test_update_clears_contact_details_and_placement(admin: GraphQLClient) -> None:
    sales2 = (await user_ids(admin))["sales2"]
    updated = await result(
        admin, UPDATE, id=sales2, input={"name": "Zhang Min", "phone": "", "email": None}
    )
    assert updated["user"] == {
        "id": sales2,
        "loginName": "sales2",
        "name": "Zhang Min",
        "isActive": True,
        "departmentId": None,
        "positionId": None,
        "phone": None,
        "email": None,
    }


async def test_a_phone_number_may_start_with_an_area_code_in_parentheses(
    admin: GraphQLClient,
) -> None:
    sales2 = (await user_ids(admin))["sales2"]
    updated = await result(
        admin, UPDATE, id=sales2, input={"name": "Zhang Min", "phone": "(010) 6666-7777"}
    )
    assert updated["__typename"] == "UserSuccess", updated
    assert updated["user"]["phone"] == "(010) 6666-7777"


async def test_a_refused_update_changes_nothing(admin: GraphQLClient) -> None:
    sales2 = (await user_ids(admin))["sales2"]
    before = await everyone(admin)
    refused = await result(
        admin,
        UPDATE,
        id=sales2,
        input={"name": "S", "phone": "nope", "email": "valid@example.com", "departmentId": 999_999},
    )
    assert [p["field"] for p in refused["problems"]] == ["phone", "departmentId"]
    blank = await result(admin, UPDATE, id=sales2, input={"name": " ", "departmentId": 999_999})
    assert [p["field"] for p in blank["problems"]] == ["name"]
    assert await everyone(admin) == before
    assert await log(admin, "user", sales2) == []


async def test_updating_a_missing_user_is_not_found(admin: GraphQLClient) -> None:
    refused = await result(admin, UPDATE, id=999_999, input={"name": "Ghost"})
    assert refused == not_found("User", 999_999)


# --- the directory --------------------------------------------------------------------------


async def test_paginate_through_every_user_by_name(sales1: GraphQLClient) -> None:
    seen: list[str] = []
    after: str | None = None
    pages: list[dict[str, Any]] = []
    while True:
        page = await users(sales1, first=2, after=after)
        pages.append(page)
        seen += names(page)
        assert page["totalCount"] == 5
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert seen == DEMO_NAMES
    assert [len(page["edges"]) for page in pages] == [2, 2, 1]
    assert [page["pageInfo"]["hasPreviousPage"] for page in pages] == [False, True, True]
    for page in pages:
        assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]

    # Past the end: an empty page, still counting everything.
    end = await users(sales1, first=2, after=pages[-1]["pageInfo"]["endCursor"])
    assert end["edges"] == []
    assert end["totalCount"] == 5
    assert end["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": None,
        "endCursor": None,
    }


async def test_the_default_page_holds_everyone_here(sales1: GraphQLClient) -> None:
    page = await users(sales1)
    assert names(page) == DEMO_NAMES
    assert page["pageInfo"]["hasNextPage"] is False


async def test_users_with_the_same_name_are_paged_by_id(admin: GraphQLClient) -> None:
    for login_name in ("twin.a", "twin.b", "twin.c"):
        created = await result(
            admin,
            CREATE,
            input={"loginName": login_name, "password": "long-enough", "name": "Li Na"},
        )
        assert created["__typename"] == "UserSuccess"
    seen: list[str] = []
    after: str | None = None
    for _ in range(10):
        page = await users(admin, first=1, after=after, search="Li Na")
        seen += [edge["node"]["loginName"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["manager1", "twin.a", "twin.b", "twin.c"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("li", ["Li Na", "Liu Yang"]),
        ("LIU", ["Liu Yang"]),
        ("sales", ["Liu Yang", "Wang Wei", "Zhang Min"]),  # login names match too
        ("  wang  ", ["Wang Wei"]),
        ("%", []),
        ("_", []),
        ("nobody", []),
    ],
)
async def test_search_by_name_or_login_name(
    sales1: GraphQLClient, search: str, expected: list[str]
) -> None:
    page = await users(sales1, search=search)
    assert names(page) == expected
    assert page["totalCount"] == len(expected)


async def test_filter_by_department(sales1: GraphQLClient) -> None:
    departments = await department_ids(sales1)
    page = await users(sales1, departmentId=departments["Sales Dept 1"])
    assert names(page) == ["Li Na", "Wang Wei", "Zhang Min"]
    assert page["totalCount"] == 3
    assert names(await users(sales1, departmentId=departments["Sales Dept 2"])) == ["Liu Yang"]
    combined = await users(sales1, departmentId=departments["Sales Dept 1"], search="wang")
    assert names(combined) == ["Wang Wei"]
    assert (await users(sales1, departmentId=999_999))["totalCount"] == 0


async def test_deactivated_users_are_hidden_unless_asked_for(
    admin: GraphQLClient, gql: GraphQLClient
) -> None:
    sales2_client = await gql.as_user("sales2")
    sales2 = (await user_ids(admin))["sales2"]

    deactivated = await result(admin, SET_ACTIVE, id=sales2, active=False)
    assert deactivated["user"]["isActive"] is False

    page = await users(admin)
    assert names(page) == ["Administrator", "Li Na", "Liu Yang", "Wang Wei"]
    assert page["totalCount"] == 4
    everyone_page = await users(admin, includeInactive=True)
    assert names(everyone_page) == DEMO_NAMES
    assert everyone_page["totalCount"] == 5
    inactive = [e["node"] for e in everyone_page["edges"] if not e["node"]["isActive"]]
    assert [node["loginName"] for node in inactive] == ["sales2"]
    # Still an employee (looked up by id) - just not active.
    assert (await admin.data(USER, id=sales2))["user"]["isActive"] is False
    # ... who can no longer sign in, and whose sessions ended.
    assert (await gql.login("sales2", PASSWORD))["code"] == "INVALID_CREDENTIALS"
    assert await sales2_client.error_codes(ME) == ["UNAUTHENTICATED"]
    assert [e["action"] for e in await log(admin, "user", sales2)] == ["deactivate"]

    reactivated = await result(admin, SET_ACTIVE, id=sales2, active=True)
    assert reactivated["user"]["isActive"] is True
    assert names(await users(admin)) == DEMO_NAMES
    assert (await gql.login("sales2", PASSWORD))["__typename"] == "LoginSuccess"


async def test_first_above_the_cap_is_a_bad_user_input(sales1: GraphQLClient) -> None:
    body = await sales1.execute(USERS, first=101)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == "first must be between 0 and 100 (got 101)."
    assert await sales1.error_codes(USERS, first=-1) == ["BAD_USER_INPUT"]
    assert names(await users(sales1, first=100)) == DEMO_NAMES


@pytest.mark.parametrize(
    "after",
    ["garbage!!", "not-a-cursor", "", cursor([1]), cursor(["a", 1, 2]), cursor({"name": "x"})],
    ids=["garbage", "not-json", "empty", "too-short", "too-long", "not-a-list"],
)
async def test_a_garbage_cursor_is_a_bad_user_input(sales1: GraphQLClient, after: str) -> None:
    body = await sales1.execute(USERS, first=2, after=after)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == f"'{after}' is not a cursor this list produced"


@pytest.mark.parametrize(
    "values",
    [[{"t": "yesterday"}, 1], [["Li Na"], 1], ["Li Na", {"a": 1}]],
    ids=["bad-datetime", "list-value", "object-value"],
)
async def test_a_well_formed_cursor_with_wrong_values_is_a_bad_user_input(
    sales1: GraphQLClient, values: list[Any]
) -> None:
    assert await sales1.error_codes(USERS, first=2, after=cursor(values)) == ["BAD_USER_INPUT"]


# --- masking --------------------------------------------------------------------------------


async def test_contact_details_are_masked_without_the_right(
    sales1: GraphQLClient, admin: GraphQLClient, manager1: GraphQLClient
) -> None:
    manager_id = (await user_ids(admin))["manager1"]

    seen_by_sales1 = (await sales1.data(USER, id=manager_id))["user"]
    assert (seen_by_sales1["phone"], seen_by_sales1["email"]) == ("138****2222", "l***@example.com")
    seen_by_admin = (await admin.data(USER, id=manager_id))["user"]
    assert (seen_by_admin["phone"], seen_by_admin["email"]) == ("13811112222", "li.na@example.com")

    # The directory masks everyone but the caller.
    listed = {e["node"]["loginName"]: e["node"] for e in (await users(sales1))["edges"]}
    assert {k: (v["phone"], v["email"]) for k, v in listed.items()} == {
        "admin": ("138****0000", "a***@example.com"),
        "manager1": ("138****2222", "l***@example.com"),
        "sales3": ("138****5555", "l***@example.com"),
        "sales1": ("13822223333", "wang.wei@example.com"),
        "sales2": ("138****4444", "z***@example.com"),
    }
    # A manager holds customer:view_contact_details and sees everything.
    listed = {e["node"]["loginName"]: e["node"] for e in (await users(manager1))["edges"]}
    assert listed["sales2"]["phone"] == "13833334444"
    assert listed["sales2"]["email"] == "zhang.min@example.com"


async def test_own_details_are_never_masked(sales1: GraphQLClient) -> None:
    me = (await sales1.data(ME))["me"]
    assert (me["phone"], me["email"]) == ("13822223333", "wang.wei@example.com")
    assert me["department"] == {"name": "Sales Dept 1"}
    assert me["position"] == {"name": "Sales staff"}


# --- soft delete ----------------------------------------------------------------------------


async def test_soft_delete(admin: GraphQLClient, gql: GraphQLClient) -> None:
    sales2_client = await gql.as_user("sales2")
    sales2 = (await user_ids(admin))["sales2"]

    assert await result(admin, DELETE, id=sales2) == {"__typename": "DeleteSuccess", "id": sales2}

    assert "Zhang Min" not in names(await users(admin))
    assert "Zhang Min" not in names(await users(admin, includeInactive=True))
    assert (await users(admin, includeInactive=True))["totalCount"] == 4
    assert (await admin.data(USER, id=sales2))["user"] is None
    members = {
        row["name"]: [m["loginName"] for m in row["members"]]
        for row in (await admin.data(DEPARTMENTS))["departments"]
    }
    assert members["Sales Dept 1"] == ["manager1", "sales1"]
    assert (await gql.login("sales2", PASSWORD))["code"] == "INVALID_CREDENTIALS"
    assert await sales2_client.error_codes(ME) == ["UNAUTHENTICATED"]
    [entry] = await log(admin, "user", sales2)
    assert (entry["action"], entry["actor"]) == ("delete", {"loginName": "admin"})
    assert entry["changes"] == {"deletedAt": [None, "2026-03-02T09:00:00+00:00"]}

    missing = not_found("User", sales2)
    before = await everyone(admin)
    assert await result(admin, DELETE, id=sales2) == missing
    assert await result(admin, UPDATE, id=sales2, input={"name": "Back"}) == missing
    assert await result(admin, SET_ACTIVE, id=sales2, active=True) == missing
    assert await result(admin, RESET_PASSWORD, id=sales2, newPassword="long-enough") == missing
    assert await everyone(admin) == before
    assert (await gql.login("sales2", "long-enough"))["code"] == "INVALID_CREDENTIALS"


async def test_a_deleted_manager_no_longer_manages_a_department(admin: GraphQLClient) -> None:
    manager1 = (await user_ids(admin))["manager1"]
    assert (await result(admin, DELETE, id=manager1))["__typename"] == "DeleteSuccess"
    query = "{ departments { name manager { loginName } } }"
    managers = {row["name"]: row["manager"] for row in (await admin.data(query))["departments"]}
    assert managers["Sales Dept 1"] is None


async def test_admin_cannot_delete_or_deactivate_themself(admin: GraphQLClient) -> None:
    assert admin.user_id is not None
    before = await everyone(admin)

    assert await result(admin, DELETE, id=admin.user_id) == conflict(
        "You cannot delete your own account."
    )
    assert await result(admin, SET_ACTIVE, id=admin.user_id, active=False) == conflict(
        "You cannot deactivate your own account."
    )

    assert await everyone(admin) == before
    assert (await admin.data(ME))["me"]["isActive"] is True
    assert await log(admin, "user", admin.user_id) == []


# --- passwords ------------------------------------------------------------------------------


async def test_reset_password(
    admin: GraphQLClient, sales1: GraphQLClient, gql: GraphQLClient
) -> None:
    assert sales1.user_id is not None
    short = await result(admin, RESET_PASSWORD, id=sales1.user_id, newPassword="short")
    assert short == invalid(("newPassword", "Password must have at least 8 characters."))
    assert (await sales1.data(ME))["me"]["loginName"] == "sales1", "a refusal ends no session"

    reset = await result(admin, RESET_PASSWORD, id=sales1.user_id, newPassword="brand-new-pass")
    assert reset["__typename"] == "UserSuccess"
    assert await sales1.error_codes(ME) == ["UNAUTHENTICATED"]
    assert (await gql.login("sales1", PASSWORD))["code"] == "INVALID_CREDENTIALS"
    assert (await gql.login("sales1", "brand-new-pass"))["__typename"] == "LoginSuccess"
    assert [e["action"] for e in await log(admin, "user", sales1.user_id)] == ["reset_password"]


# --- permissions ----------------------------------------------------------------------------


async def test_non_admins_are_forbidden_every_user_mutation(
    non_admin: GraphQLClient, admin: GraphQLClient, gql: GraphQLClient
) -> None:
    ids = await user_ids(admin)
    before = await everyone(admin)
    target = ids["sales2"]

    attempts: list[tuple[str, dict[str, Any]]] = [
        (
            CREATE,
            {"input": {"loginName": "rogue", "password": "long-enough", "name": "Rogue"}},
        ),
        (UPDATE, {"id": target, "input": {"name": "Renamed"}}),
        (UPDATE, {"id": non_admin.user_id, "input": {"name": "Myself"}}),
        (DELETE, {"id": target}),
        (SET_ACTIVE, {"id": target, "active": False}),
        (RESET_PASSWORD, {"id": target, "newPassword": "hijacked-pass"}),
    ]
    for mutation, variables in attempts:
        await forbidden(non_admin, mutation, **variables)

    assert await everyone(admin) == before
    assert (await gql.login("sales2", PASSWORD))["__typename"] == "LoginSuccess"
    assert (await gql.login("sales2", "hijacked-pass"))["code"] == "INVALID_CREDENTIALS"
    assert await log(admin, "user", target) == []
