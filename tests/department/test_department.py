"""Departments (F1.1) through the GraphQL endpoint: the tree, its managers and its log."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.errors import conflict, forbidden, invalid, not_found
from tests.fixtures.graphql import delete, department_ids, log, mutation_of, result, success
from tests.fixtures.users import user_ids
from tests.graphql_client import GraphQLClient

DEPARTMENTS = "{ departments { id name parentId managerId sortOrder } }"
DEPARTMENT = "query($id: Int!) { department(id: $id) { id name parentId managerId } }"
TREE = """
{
  departments {
    name
    parentId
    manager { loginName }
    members { loginName name }
    children { name manager { loginName } children { name } }
  }
}
"""
ALL_LOG = '{ operationLog(entityType: "department") { totalCount } }'

RESULT = success(
    "DepartmentSuccess",
    "department { id name parentId managerId sortOrder parent { name } manager { loginName } }",
)
CREATE = mutation_of(
    "$name: String!, $parentId: Int, $managerId: Int, $sortOrder: Int! = 0",
    "createDepartment(name: $name, parentId: $parentId, managerId: $managerId,"
    " sortOrder: $sortOrder)",
    RESULT,
)
RENAME = mutation_of("$id: Int!, $name: String!", "renameDepartment(id: $id, name: $name)", RESULT)
MOVE = mutation_of(
    "$id: Int!, $parentId: Int", "moveDepartment(id: $id, parentId: $parentId)", RESULT
)
SET_MANAGER = mutation_of(
    "$id: Int!, $managerId: Int", "setDepartmentManager(id: $id, managerId: $managerId)", RESULT
)
DELETE = delete("deleteDepartment")
DELETE_USER = "mutation($id: Int!) { deleteUser(id: $id) { __typename } }"
SET_ACTIVE = (
    "mutation($id: Int!, $active: Boolean!) { setUserActive(id: $id, active: $active) "
    "{ __typename } }"
)


async def departments(client: GraphQLClient) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (await client.data(DEPARTMENTS))["departments"]
    return rows


async def log_size(client: GraphQLClient) -> int:
    count: int = (await client.data(ALL_LOG))["operationLog"]["totalCount"]
    return count


def entry(action: str, changes: dict[str, list[Any]], actor: str = "admin") -> dict[str, Any]:
    return {"action": action, "changes": changes, "actor": {"loginName": actor}}


async def create(
    admin: GraphQLClient, name: str, parent_id: int | None = None, manager_id: int | None = None
) -> int:
    created = await result(admin, CREATE, name=name, parentId=parent_id, managerId=manager_id)
    assert created["__typename"] == "DepartmentSuccess", created
    department_id: int = created["department"]["id"]
    return department_id


# --- create ---------------------------------------------------------------------------------


async def test_create_department_under_a_parent_with_a_manager(admin: GraphQLClient) -> None:
    head_office = (await department_ids(admin))["Head Office"]
    manager1 = (await user_ids(admin))["manager1"]

    created = await result(
        admin,
        CREATE,
        name="  Key Accounts  ",
        parentId=head_office,
        managerId=manager1,
        sortOrder=5,
    )

    assert created["__typename"] == "DepartmentSuccess"
    department = created["department"]
    new_id = department["id"]
    assert department == {
        "id": new_id,
        "name": "Key Accounts",
        "parentId": head_office,
        "managerId": manager1,
        "sortOrder": 5,
        "parent": {"name": "Head Office"},
        "manager": {"loginName": "manager1"},
    }
    assert {
        "id": new_id,
        "name": "Key Accounts",
        "parentId": head_office,
        "managerId": manager1,
        "sortOrder": 5,
    } in await departments(admin)
    assert (await admin.data(DEPARTMENT, id=new_id))["department"]["name"] == "Key Accounts"
    assert await log(admin, "department", new_id) == [
        entry("create", {"name": [None, "Key Accounts"], "parentId": [None, head_office]})
    ]


async def test_create_a_top_department_without_a_manager(admin: GraphQLClient) -> None:
    created = await result(admin, CREATE, name="Branch Office")
    assert created["__typename"] == "DepartmentSuccess"
    assert created["department"]["parentId"] is None
    assert created["department"]["managerId"] is None
    assert created["department"]["sortOrder"] == 0
    assert "Branch Office" in await department_ids(admin)


async def test_create_under_a_missing_parent_is_not_found(admin: GraphQLClient) -> None:
    before = await departments(admin)
    refused = await result(admin, CREATE, name="Orphans", parentId=999_999)
    assert refused == not_found("Department", 999_999, "parentId")
    assert await departments(admin) == before
    assert await log_size(admin) == 0


# --- rename ---------------------------------------------------------------------------------


async def test_rename_department(admin: GraphQLClient) -> None:
    dept2 = (await department_ids(admin))["Sales Dept 2"]

    renamed = await result(admin, RENAME, id=dept2, name="  Key Accounts ")

    assert renamed["__typename"] == "DepartmentSuccess"
    assert renamed["department"]["name"] == "Key Accounts"
    assert (await admin.data(DEPARTMENT, id=dept2))["department"]["name"] == "Key Accounts"
    assert await log(admin, "department", dept2) == [
        entry("rename", {"name": ["Sales Dept 2", "Key Accounts"]})
    ]


async def test_renaming_to_the_same_name_changes_and_logs_nothing(admin: GraphQLClient) -> None:
    dept2 = (await department_ids(admin))["Sales Dept 2"]
    renamed = await result(admin, RENAME, id=dept2, name="Sales Dept 2")
    assert renamed["department"]["name"] == "Sales Dept 2"
    assert await log(admin, "department", dept2) == []


async def test_rename_a_missing_department_is_not_found(admin: GraphQLClient) -> None:
    before = await departments(admin)
    refused = await result(admin, RENAME, id=999_999, name="Ghost")
    assert (refused["__typename"], refused["code"], refused["field"]) == (
        "NotFoundError",
        "NOT_FOUND",
        "id",
    )
    assert await departments(admin) == before


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "must not be empty"),
        ("    ", "must not be empty"),
        ("x" * 101, "must have at most 100 characters (has 101)"),
    ],
    ids=["empty", "blank", "101-chars"],
)
async def test_bad_names_are_refused_on_create_and_rename(
    admin: GraphQLClient, name: str, message: str
) -> None:
    before = await departments(admin)
    dept2 = (await department_ids(admin))["Sales Dept 2"]
    expected = invalid(("name", message))

    assert await result(admin, CREATE, name=name) == expected
    assert await result(admin, RENAME, id=dept2, name=name) == expected

    assert await departments(admin) == before
    assert await log_size(admin) == 0


async def test_a_name_of_exactly_100_characters_is_accepted(admin: GraphQLClient) -> None:
    created = await result(admin, CREATE, name="y" * 100)
    assert created["__typename"] == "DepartmentSuccess"
    assert created["department"]["name"] == "y" * 100


# --- move -----------------------------------------------------------------------------------


async def test_move_under_another_department_and_back_to_the_top(admin: GraphQLClient) -> None:
    ids = await department_ids(admin)
    team = await create(admin, "Team A", parent_id=ids["Sales Dept 1"])

    moved = await result(admin, MOVE, id=team, parentId=ids["Sales Dept 2"])
    assert moved["__typename"] == "DepartmentSuccess"
    assert moved["department"]["parentId"] == ids["Sales Dept 2"]
    assert moved["department"]["parent"] == {"name": "Sales Dept 2"}
    tree = {row["name"]: row for row in (await admin.data(TREE))["departments"]}
    assert [child["name"] for child in tree["Sales Dept 2"]["children"]] == ["Team A"]
    assert tree["Sales Dept 1"]["children"] == []

    to_top = await result(admin, MOVE, id=team, parentId=None)
    assert to_top["__typename"] == "DepartmentSuccess"
    assert to_top["department"]["parentId"] is None
    assert to_top["department"]["parent"] is None
    assert (await admin.data(DEPARTMENT, id=team))["department"]["parentId"] is None
    tree = {row["name"]: row for row in (await admin.data(TREE))["departments"]}
    assert tree["Sales Dept 2"]["children"] == []
    assert tree["Team A"]["parentId"] is None

    assert await log(admin, "department", team) == [
        entry("move", {"parentId": [ids["Sales Dept 2"], None]}),
        entry("move", {"parentId": [ids["Sales Dept 1"], ids["Sales Dept 2"]]}),
        entry("create", {"name": [None, "Team A"], "parentId": [None, ids["Sales Dept 1"]]}),
    ]


async def test_moving_a_whole_subtree_keeps_its_children(admin: GraphQLClient) -> None:
    ids = await department_ids(admin)
    team = await create(admin, "Team A", parent_id=ids["Sales Dept 1"])
    await result(admin, MOVE, id=ids["Sales Dept 1"], parentId=ids["Sales Dept 2"])
    tree = {row["name"]: row for row in (await admin.data(TREE))["departments"]}
    assert tree["Sales Dept 2"]["children"] == [
        {
            "name": "Sales Dept 1",
            "manager": {"loginName": "manager1"},
            "children": [{"name": "Team A"}],
        }
    ]
    assert (await admin.data(DEPARTMENT, id=team))["department"]["parentId"] == ids["Sales Dept 1"]


@pytest.mark.parametrize(
    ("moved", "new_parent"),
    [
        ("Head Office", "Head Office"),
        ("Sales Dept 1", "Sales Dept 1"),
        ("Head Office", "Sales Dept 1"),
        ("Head Office", "Team A"),
        ("Sales Dept 1", "Team A"),
    ],
    ids=[
        "root-under-itself",
        "leaf-under-itself",
        "under-child",
        "under-grandchild",
        "under-child-2",
    ],
)
async def test_moving_under_itself_or_a_descendant_is_refused(
    admin: GraphQLClient, moved: str, new_parent: str
) -> None:
    ids = await department_ids(admin)
    ids["Team A"] = await create(admin, "Team A", parent_id=ids["Sales Dept 1"])
    before = await departments(admin)
    entries_before = await log_size(admin)

    refused = await result(admin, MOVE, id=ids[moved], parentId=ids[new_parent])

    assert refused == conflict(
        "A department cannot be moved under itself or one of its own sub-departments.", "parentId"
    )
    assert await departments(admin) == before
    assert await log_size(admin) == entries_before


async def test_moving_under_a_missing_department_is_not_found(admin: GraphQLClient) -> None:
    dept2 = (await department_ids(admin))["Sales Dept 2"]
    before = await departments(admin)
    refused = await result(admin, MOVE, id=dept2, parentId=999_999)
    assert (refused["__typename"], refused["code"], refused["field"]) == (
        "NotFoundError",
        "NOT_FOUND",
        "parentId",
    )
    assert await departments(admin) == before


# --- managers -------------------------------------------------------------------------------


async def test_set_and_clear_the_manager(admin: GraphQLClient) -> None:
    dept2 = (await department_ids(admin))["Sales Dept 2"]
    sales3 = (await user_ids(admin))["sales3"]

    managed = await result(admin, SET_MANAGER, id=dept2, managerId=sales3)
    assert managed["__typename"] == "DepartmentSuccess"
    assert managed["department"]["managerId"] == sales3
    assert managed["department"]["manager"] == {"loginName": "sales3"}
    tree = {row["name"]: row for row in (await admin.data(TREE))["departments"]}
    assert tree["Sales Dept 2"]["manager"] == {"loginName": "sales3"}

    cleared = await result(admin, SET_MANAGER, id=dept2, managerId=None)
    assert cleared["__typename"] == "DepartmentSuccess"
    assert cleared["department"]["managerId"] is None
    assert cleared["department"]["manager"] is None
    assert (await admin.data(DEPARTMENT, id=dept2))["department"]["managerId"] is None

    assert await log(admin, "department", dept2) == [
        entry("set_manager", {"managerId": [sales3, None]}),
        entry("set_manager", {"managerId": [None, sales3]}),
    ]


async def test_replacing_a_manager_logs_old_and_new(admin: GraphQLClient) -> None:
    dept1 = (await department_ids(admin))["Sales Dept 1"]
    users = await user_ids(admin)
    replaced = await result(admin, SET_MANAGER, id=dept1, managerId=users["sales1"])
    assert replaced["department"]["manager"] == {"loginName": "sales1"}
    assert await log(admin, "department", dept1) == [
        entry("set_manager", {"managerId": [users["manager1"], users["sales1"]]})
    ]


@pytest.mark.parametrize("kind", ["missing", "deactivated", "deleted"])
async def test_the_manager_must_be_an_existing_active_user(admin: GraphQLClient, kind: str) -> None:
    ids = await department_ids(admin)
    manager_id = 999_999 if kind == "missing" else (await user_ids(admin))["sales2"]
    if kind == "deactivated":
        assert (await admin.data(SET_ACTIVE, id=manager_id, active=False))["setUserActive"] == {
            "__typename": "UserSuccess"
        }
    elif kind == "deleted":
        assert (await admin.data(DELETE_USER, id=manager_id))["deleteUser"] == {
            "__typename": "DeleteSuccess"
        }
    before = await departments(admin)
    entries_before = await log_size(admin)
    message = f"user {manager_id} does not exist or is deactivated"
    expected = invalid(("managerId", message))

    assert await result(admin, SET_MANAGER, id=ids["Sales Dept 2"], managerId=manager_id) == (
        expected
    )
    assert await result(admin, CREATE, name="New", managerId=manager_id) == expected

    assert await departments(admin) == before
    assert await log_size(admin) == entries_before


# --- delete ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reasons"),
    [
        ("Sales Dept 1", "3 member(s)"),
        ("Sales Dept 2", "1 member(s)"),
        ("Head Office", "2 sub-department(s) and 1 member(s)"),
    ],
)
async def test_delete_is_refused_while_the_department_has_members_or_children(
    admin: GraphQLClient, name: str, reasons: str
) -> None:
    department_id = (await department_ids(admin))[name]
    before = await departments(admin)
    tree_before = await admin.data(TREE)

    refused = await result(admin, DELETE, id=department_id)

    assert refused == conflict(
        f"Department '{name}' still has {reasons}; move or remove them first."
    )
    assert await departments(admin) == before
    assert await admin.data(TREE) == tree_before
    assert await log_size(admin) == 0


async def test_delete_is_refused_while_the_department_has_only_children(
    admin: GraphQLClient,
) -> None:
    parent = await create(admin, "Region North")
    await create(admin, "Team North", parent_id=parent)
    before = await departments(admin)

    refused = await result(admin, DELETE, id=parent)

    assert refused["code"] == "CONFLICT"
    assert refused["message"] == (
        "Department 'Region North' still has 1 sub-department(s); move or remove them first."
    )
    assert await departments(admin) == before


async def test_deactivated_members_still_block_a_delete(admin: GraphQLClient) -> None:
    dept2 = (await department_ids(admin))["Sales Dept 2"]
    sales3 = (await user_ids(admin))["sales3"]
    await admin.data(SET_ACTIVE, id=sales3, active=False)
    refused = await result(admin, DELETE, id=dept2)
    assert refused["code"] == "CONFLICT"
    assert "1 member(s)" in refused["message"]
    assert dept2 in {row["id"] for row in await departments(admin)}


async def test_delete_an_empty_department(admin: GraphQLClient) -> None:
    head_office = (await department_ids(admin))["Head Office"]
    temp = await create(admin, "Temporary", parent_id=head_office)

    assert await result(admin, DELETE, id=temp) == {"__typename": "DeleteSuccess", "id": temp}

    assert "Temporary" not in await department_ids(admin)
    assert (await admin.data(DEPARTMENT, id=temp))["department"] is None
    tree = {row["name"]: row for row in (await admin.data(TREE))["departments"]}
    assert [child["name"] for child in tree["Head Office"]["children"]] == [
        "Sales Dept 1",
        "Sales Dept 2",
    ]
    assert await log(admin, "department", temp) == [
        entry("delete", {"name": ["Temporary", None]}),
        entry("create", {"name": [None, "Temporary"], "parentId": [None, head_office]}),
    ]

    again = await result(admin, DELETE, id=temp)
    assert (again["__typename"], again["code"]) == ("NotFoundError", "NOT_FOUND")


async def test_a_department_whose_members_were_all_deleted_can_be_deleted(
    admin: GraphQLClient,
) -> None:
    dept2 = (await department_ids(admin))["Sales Dept 2"]
    sales3 = (await user_ids(admin))["sales3"]
    assert (await admin.data(DELETE_USER, id=sales3))["deleteUser"] == {
        "__typename": "DeleteSuccess"
    }

    assert await result(admin, DELETE, id=dept2) == {"__typename": "DeleteSuccess", "id": dept2}
    assert "Sales Dept 2" not in await department_ids(admin)


# --- permissions ----------------------------------------------------------------------------


async def test_non_admins_are_forbidden_every_department_mutation(
    non_admin: GraphQLClient, admin: GraphQLClient
) -> None:
    ids = await department_ids(admin)
    before = await departments(admin)
    tree_before = await admin.data(TREE)
    empty = ids["Sales Dept 2"]

    attempts: list[tuple[str, dict[str, Any]]] = [
        (CREATE, {"name": "Rogue", "parentId": ids["Head Office"]}),
        (RENAME, {"id": ids["Sales Dept 1"], "name": "Rogue"}),
        (MOVE, {"id": ids["Sales Dept 1"], "parentId": None}),
        (SET_MANAGER, {"id": ids["Sales Dept 1"], "managerId": non_admin.user_id}),
        (SET_MANAGER, {"id": ids["Sales Dept 1"], "managerId": None}),
        (DELETE, {"id": empty}),
    ]
    for mutation, variables in attempts:
        await forbidden(non_admin, mutation, **variables)

    assert await departments(admin) == before
    assert await admin.data(TREE) == tree_before
    assert await log_size(admin) == 0


async def test_anonymous_callers_cannot_read_departments(gql: GraphQLClient) -> None:
    assert await gql.error_codes(DEPARTMENTS) == ["UNAUTHENTICATED"]


# --- the tree -------------------------------------------------------------------------------


async def test_the_tree_resolves_for_a_signed_in_sales_user(sales1: GraphQLClient) -> None:
    head_office = (await department_ids(sales1))["Head Office"]
    assert (await sales1.data(TREE))["departments"] == [
        {
            "name": "Head Office",
            "parentId": None,
            "manager": {"loginName": "admin"},
            "members": [{"loginName": "admin", "name": "Administrator"}],
            "children": [
                {"name": "Sales Dept 1", "manager": {"loginName": "manager1"}, "children": []},
                {"name": "Sales Dept 2", "manager": None, "children": []},
            ],
        },
        {
            "name": "Sales Dept 1",
            "parentId": head_office,
            "manager": {"loginName": "manager1"},
            "members": [
                {"loginName": "manager1", "name": "Li Na"},
                {"loginName": "sales1", "name": "Wang Wei"},
                {"loginName": "sales2", "name": "Zhang Min"},
            ],
            "children": [],
        },
        {
            "name": "Sales Dept 2",
            "parentId": head_office,
            "manager": None,
            "members": [{"loginName": "sales3", "name": "Liu Yang"}],
            "children": [],
        },
    ]
