"""Positions (F1.3) through the GraphQL endpoint: permission sets with a data scope."""

from __future__ import annotations

from typing import Any

import pytest

from gql_crm.auth.permissions import ALL_PERMISSIONS
from tests.fixtures.errors import conflict, forbidden, invalid, not_found
from tests.fixtures.graphql import delete, log, mutation_of, position_ids, result, success
from tests.fixtures.users import user_ids
from tests.graphql_client import GraphQLClient

POSITIONS = "{ positions { id name description permissions dataScope } }"
POSITION = "query($id: Int!) { position(id: $id) { id name description permissions dataScope } }"
CATALOG = "{ permissionCatalog { modules { module permissions } advanced { code description } } }"
RESULT = success("PositionSuccess", "position { id name description permissions dataScope }")
CREATE = mutation_of("$input: PositionInput!", "createPosition(input: $input)", RESULT)
UPDATE = mutation_of(
    "$id: Int!, $input: PositionInput!", "updatePosition(id: $id, input: $input)", RESULT
)
DELETE = delete("deletePosition")
CREATE_USER = """
mutation($input: CreateUserInput!) {
  createUser(input: $input) { __typename ... on UserSuccess { user { id } } }
}
"""
DELETE_USER = "mutation($id: Int!) { deleteUser(id: $id) { __typename } }"
SET_ACTIVE = (
    "mutation($id: Int!, $active: Boolean!) { setUserActive(id: $id, active: $active) "
    "{ __typename } }"
)
ME = "{ me { position { name permissions dataScope } } }"

MODULES = [
    "customer",
    "contact",
    "followup",
    "task",
    "training",
    "campaign",
    "opportunity",
    "order",
    "payment",
    "refund",
    "expense",
    "product",
    "document",
    "announcement",
    "statistics",
    "admin",
]
ACTIONS = ["view", "create", "edit", "delete", "export", "import"]
ADVANCED = [
    "customer:view_contact_details",
    "customer:claim_special_pool",
    "followup:edit_others",
    "order:edit_closed",
    "payment:record_any",
    "expense:approve",
    "apikey:manage",
    "document:manage_public",
    "knowledge:edit",
    "customer:bulk_message",
    "webhook:manage",
]


async def positions(client: GraphQLClient) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (await client.data(POSITIONS))["positions"]
    return rows


# --- create ---------------------------------------------------------------------------------


async def test_create_a_position_with_permissions_and_a_data_scope(
    admin: GraphQLClient, gql: GraphQLClient
) -> None:
    created = await result(
        admin,
        CREATE,
        input={
            "name": "  Sales assistant ",
            "description": " Helps the sales team. ",
            "permissions": ["customer:view", "customer:view_contact_details", "customer:view"],
            "dataScope": "DEPARTMENT",
        },
    )

    assert created["__typename"] == "PositionSuccess"
    position = created["position"]
    expected = {
        "id": position["id"],
        "name": "Sales assistant",
        "description": "Helps the sales team.",
        "permissions": ["customer:view", "customer:view_contact_details"],
        "dataScope": "DEPARTMENT",
    }
    assert position == expected
    assert (await admin.data(POSITION, id=position["id"]))["position"] == expected
    assert expected in await positions(admin)
    assert await log(admin, "position", position["id"]) == [
        {
            "action": "create",
            "changes": {"name": [None, "Sales assistant"]},
            "actor": {"loginName": "admin"},
        }
    ]

    # A user given the position acts with exactly its permissions and scope.
    user = await admin.data(
        CREATE_USER,
        input={
            "loginName": "assistant1",
            "password": "assistant-password",
            "name": "Assistant One",
            "positionId": position["id"],
        },
    )
    assert user["createUser"]["__typename"] == "UserSuccess"
    assistant = await gql.as_user("assistant1", "assistant-password")
    assert (await assistant.data(ME))["me"]["position"] == {
        "name": "Sales assistant",
        "permissions": ["customer:view", "customer:view_contact_details"],
        "dataScope": "DEPARTMENT",
    }


async def test_description_permissions_and_scope_have_defaults(admin: GraphQLClient) -> None:
    created = await result(admin, CREATE, input={"name": "Intern"})
    assert created["position"] == {
        "id": created["position"]["id"],
        "name": "Intern",
        "description": "",
        "permissions": [],
        "dataScope": "OWN",
    }


@pytest.mark.parametrize(
    ("permissions", "unknown"),
    [
        (["customer:view", "customer:fly"], "customer:fly"),
        (["nonsense", "admin:view", "order:approve"], "nonsense, order:approve"),
        (["CUSTOMER:VIEW"], "CUSTOMER:VIEW"),
    ],
)
async def test_unknown_permission_codes_are_refused_by_name(
    admin: GraphQLClient, permissions: list[str], unknown: str
) -> None:
    before = await positions(admin)
    staff = (await position_ids(admin))["Sales staff"]
    expected = invalid(
        (
            "permissions",
            f"unknown permission code(s): {unknown} "
            f"(see the permissionCatalog query; {len(ALL_PERMISSIONS)} codes exist)",
        )
    )

    new = {"name": "Odd job", "permissions": permissions}
    assert await result(admin, CREATE, input=new) == expected
    changed = {"name": "Sales staff", "permissions": permissions}
    assert await result(admin, UPDATE, id=staff, input=changed) == expected

    assert await positions(admin) == before
    assert await log(admin, "position") == []


@pytest.mark.parametrize(
    ("fields", "problems"),
    [
        ({"name": ""}, [("name", "must not be empty")]),
        ({"name": "   "}, [("name", "must not be empty")]),
        ({"name": "p" * 101}, [("name", "must have at most 100 characters (has 101)")]),
        (
            {"name": "Fine", "description": "d" * 501},
            [("description", "must have at most 500 characters (has 501)")],
        ),
        (
            {"name": "", "description": "d" * 501, "permissions": ["x:y"]},
            [
                ("name", "must not be empty"),
                ("description", "must have at most 500 characters (has 501)"),
            ],
        ),
    ],
    ids=["empty-name", "blank-name", "long-name", "long-description", "every-limit-at-once"],
)
async def test_bad_fields_are_refused(
    admin: GraphQLClient, fields: dict[str, Any], problems: list[tuple[str, str]]
) -> None:
    before = await positions(admin)
    staff = (await position_ids(admin))["Sales staff"]

    assert await result(admin, CREATE, input=fields) == invalid(*problems)
    assert await result(admin, UPDATE, id=staff, input=fields) == invalid(*problems)

    assert await positions(admin) == before
    assert await log(admin, "position") == []


@pytest.mark.parametrize("name", ["Sales staff", "  Sales staff  "])
async def test_a_duplicate_name_is_a_conflict(admin: GraphQLClient, name: str) -> None:
    before = await positions(admin)
    refused = await result(admin, CREATE, input={"name": name, "permissions": ["task:view"]})
    assert refused == conflict("A position named 'Sales staff' already exists.", "name")
    assert await positions(admin) == before
    assert await log(admin, "position") == []


# --- update ---------------------------------------------------------------------------------


async def test_update_a_position(admin: GraphQLClient, gql: GraphQLClient) -> None:
    staff = (await position_ids(admin))["Sales staff"]
    before = next(row for row in await positions(admin) if row["id"] == staff)

    updated = await result(
        admin,
        UPDATE,
        id=staff,
        input={
            "name": "Sales staff",
            "description": "Sells and exports.",
            "permissions": ["customer:view", "customer:export", "customer:view_contact_details"],
            "dataScope": "DEPARTMENT",
        },
    )

    expected = {
        "id": staff,
        "name": "Sales staff",
        "description": "Sells and exports.",
        "permissions": ["customer:export", "customer:view", "customer:view_contact_details"],
        "dataScope": "DEPARTMENT",
    }
    assert updated == {"__typename": "PositionSuccess", "position": expected}
    assert (await admin.data(POSITION, id=staff))["position"] == expected
    [entry] = await log(admin, "position", staff)
    assert entry["action"] == "update"
    assert entry["actor"] == {"loginName": "admin"}
    assert entry["changes"] == {
        "description": [before["description"], "Sells and exports."],
        "permissions": [before["permissions"], expected["permissions"]],
        "dataScope": ["own", "department"],
    }
    # Holders act with the new permission set from their next request on.
    sales1 = await gql.as_user("sales1")
    assert (await sales1.data(ME))["me"]["position"]["dataScope"] == "DEPARTMENT"


async def test_rename_a_position_and_refuse_a_taken_name(admin: GraphQLClient) -> None:
    ids = await position_ids(admin)
    renamed = await result(admin, UPDATE, id=ids["Sales staff"], input={"name": "Sales rep"})
    assert renamed["position"]["name"] == "Sales rep"
    assert renamed["position"]["permissions"] == []  # the input replaces the whole set

    before = await positions(admin)
    refused = await result(admin, UPDATE, id=ids["Sales staff"], input={"name": "Sales manager"})
    assert refused == conflict("A position named 'Sales manager' already exists.", "name")
    assert await positions(admin) == before


async def test_update_a_missing_position_is_not_found(admin: GraphQLClient) -> None:
    before = await positions(admin)
    refused = await result(admin, UPDATE, id=999_999, input={"name": "Ghost"})
    assert refused == not_found("Position", 999_999)
    assert await positions(admin) == before


# --- delete ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "holders"), [("Sales staff", 3), ("Administrator", 1)])
async def test_delete_is_refused_while_a_user_holds_the_position(
    admin: GraphQLClient, name: str, holders: int
) -> None:
    position_id = (await position_ids(admin))[name]
    before = await positions(admin)

    refused = await result(admin, DELETE, id=position_id)

    assert refused == conflict(
        f"Position '{name}' is held by {holders} user(s); give them another first."
    )
    assert await positions(admin) == before
    assert await log(admin, "position") == []


async def test_a_deactivated_holder_still_blocks_a_delete(admin: GraphQLClient) -> None:
    manager = (await position_ids(admin))["Sales manager"]
    await admin.data(SET_ACTIVE, id=(await user_ids(admin))["manager1"], active=False)
    refused = await result(admin, DELETE, id=manager)
    assert refused["code"] == "CONFLICT"
    assert "held by 1 user(s)" in refused["message"]
    assert manager in (await position_ids(admin)).values()


async def test_delete_an_unused_position(admin: GraphQLClient) -> None:
    created = await result(admin, CREATE, input={"name": "Temp", "permissions": ["task:view"]})
    temp = created["position"]["id"]

    assert await result(admin, DELETE, id=temp) == {"__typename": "DeleteSuccess", "id": temp}

    assert "Temp" not in await position_ids(admin)
    assert (await admin.data(POSITION, id=temp))["position"] is None
    assert [entry["action"] for entry in await log(admin, "position", temp)] == ["delete", "create"]
    assert (await log(admin, "position", temp))[0]["changes"] == {"name": ["Temp", None]}

    again = await result(admin, DELETE, id=temp)
    assert (again["__typename"], again["code"]) == ("NotFoundError", "NOT_FOUND")


async def test_a_position_held_only_by_deleted_users_can_be_deleted(
    admin: GraphQLClient,
) -> None:
    manager = (await position_ids(admin))["Sales manager"]
    assert (await admin.data(DELETE_USER, id=(await user_ids(admin))["manager1"]))[
        "deleteUser"
    ] == {"__typename": "DeleteSuccess"}

    assert await result(admin, DELETE, id=manager) == {"__typename": "DeleteSuccess", "id": manager}
    assert "Sales manager" not in await position_ids(admin)


# --- the catalog ----------------------------------------------------------------------------


async def test_the_permission_catalog(sales1: GraphQLClient) -> None:
    catalog = (await sales1.data(CATALOG))["permissionCatalog"]

    assert [module["module"] for module in catalog["modules"]] == MODULES
    for module in catalog["modules"]:
        assert module["permissions"] == [f"{module['module']}:{action}" for action in ACTIONS]
    codes = [code for module in catalog["modules"] for code in module["permissions"]]
    assert len(codes) == len(set(codes)) == len(MODULES) * len(ACTIONS)

    assert [item["code"] for item in catalog["advanced"]] == ADVANCED
    assert all(item["description"] for item in catalog["advanced"])
    assert catalog["advanced"][0]["description"] == "See phone numbers and e-mails unmasked."


async def test_every_catalog_code_is_accepted(admin: GraphQLClient) -> None:
    catalog = (await admin.data(CATALOG))["permissionCatalog"]
    codes = [code for module in catalog["modules"] for code in module["permissions"]]
    codes += [item["code"] for item in catalog["advanced"]]
    created = await result(admin, CREATE, input={"name": "Everything", "permissions": codes})
    assert created["__typename"] == "PositionSuccess"
    assert created["position"]["permissions"] == sorted(codes)
    assert len(codes) == len(ALL_PERMISSIONS)


async def test_anonymous_callers_cannot_read_positions(gql: GraphQLClient) -> None:
    assert await gql.error_codes(POSITIONS) == ["UNAUTHENTICATED"]
    assert await gql.error_codes(CATALOG) == ["UNAUTHENTICATED"]


# --- permissions ----------------------------------------------------------------------------


async def test_non_admins_are_forbidden_every_position_mutation(
    non_admin: GraphQLClient, admin: GraphQLClient
) -> None:
    unused = (await result(admin, CREATE, input={"name": "Unused"}))["position"]["id"]
    staff = (await position_ids(admin))["Sales staff"]
    before = await positions(admin)
    log_before = await log(admin, "position")

    attempts: list[tuple[str, dict[str, Any]]] = [
        (CREATE, {"input": {"name": "Rogue", "permissions": ["admin:edit"]}}),
        (UPDATE, {"id": staff, "input": {"name": "Sales staff", "permissions": ["admin:edit"]}}),
        (DELETE, {"id": unused}),
    ]
    for mutation, variables in attempts:
        await forbidden(non_admin, mutation, **variables)

    assert await positions(admin) == before
    assert await log(admin, "position") == log_before
    # The caller can still read positions (any signed-in user can).
    assert {row["name"] for row in await positions(non_admin)} == {row["name"] for row in before}
