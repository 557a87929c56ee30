"""System settings (F1.4) through the GraphQL endpoint: pool rules and maturity grades."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.errors import forbidden
from tests.graphql_client import GraphQLClient

SETTINGS_FIELDS = """
    companyName timezone
    temporaryReleaseDays temporaryReclaimBanDays publicClaimBanDays privateNoContactDays
    privatePoolCap temporaryPoolCap releaseWarningDays
    maturityOptions { id label sortOrder pool }
"""
SETTINGS = f"{{ systemSettings {{ {SETTINGS_FIELDS} }} }}"
UPDATE = f"""
mutation($input: SystemSettingsInput!) {{
  result: updateSystemSettings(input: $input) {{
    __typename
    ... on SystemSettingsSuccess {{ settings {{ {SETTINGS_FIELDS} }} }}
    ... on InvalidInputError {{ code message field problems {{ field message }} }}
  }}
}}
"""
LOG = """
{
  operationLog(first: 100) {
    totalCount
    edges { node { entityType entityId action changes actor { loginName } } }
  }
}
"""

DEFAULT_SCALARS = {
    "companyName": "Demo Trading Co.",
    "timezone": "Asia/Shanghai",
    "temporaryReleaseDays": 7,
    "temporaryReclaimBanDays": 30,
    "publicClaimBanDays": 15,
    "privateNoContactDays": 30,
    "privatePoolCap": 100,
    "temporaryPoolCap": 50,
    "releaseWarningDays": 3,
}
DEFAULT_MATURITY = [
    (label, "PRIVATE" if i < 3 else "TEMPORARY" if i < 6 else "PUBLIC")
    for i, label in enumerate("ABCDEFGHIJ")
]


async def settings(client: GraphQLClient) -> dict[str, Any]:
    data: dict[str, Any] = (await client.data(SETTINGS))["systemSettings"]
    return data


async def update(client: GraphQLClient, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = (await client.data(UPDATE, input=fields))["result"]
    return data


async def option_ids(client: GraphQLClient) -> dict[str, int]:
    return {o["label"]: o["id"] for o in (await settings(client))["maturityOptions"]}


async def log(client: GraphQLClient) -> list[dict[str, Any]]:
    connection = (await client.data(LOG))["operationLog"]
    return [edge["node"] for edge in connection["edges"]]


def problem_fields(refused: dict[str, Any]) -> list[str]:
    assert refused["__typename"] == "InvalidInputError", refused
    assert refused["code"] == "INVALID_INPUT"
    fields = [problem["field"] for problem in refused["problems"]]
    assert refused["field"] == fields[0]
    for problem in refused["problems"]:
        assert f"{problem['field']}: {problem['message']}" in refused["message"]
    return fields


class Unchanged:
    """Captures every setting (and the log) so a refusal can be shown to have changed nothing."""

    def __init__(self, admin: GraphQLClient) -> None:
        self.admin = admin
        self.settings: dict[str, Any] = {}
        self.log: list[dict[str, Any]] = []

    async def capture(self) -> Unchanged:
        self.settings = await settings(self.admin)
        self.log = await log(self.admin)
        return self

    async def check(self) -> None:
        assert await settings(self.admin) == self.settings
        assert await log(self.admin) == self.log


# --- reading --------------------------------------------------------------------------------


@pytest.mark.parametrize("login_name", ["sales1", "manager1", "admin"])
async def test_every_signed_in_user_reads_the_settings(gql: GraphQLClient, login_name: str) -> None:
    client = await gql.as_user(login_name)
    current = await settings(client)

    assert {k: v for k, v in current.items() if k != "maturityOptions"} == DEFAULT_SCALARS
    options = current["maturityOptions"]
    assert [(o["label"], o["pool"]) for o in options] == DEFAULT_MATURITY
    assert [o["sortOrder"] for o in options] == list(range(10))
    assert len({o["id"] for o in options}) == 10


async def test_anonymous_callers_cannot_read_the_settings(gql: GraphQLClient) -> None:
    assert await gql.error_codes(SETTINGS) == ["UNAUTHENTICATED"]


# --- updating -------------------------------------------------------------------------------


async def test_admin_updates_days_caps_timezone_name_and_maturity(
    admin: GraphQLClient, sales1: GraphQLClient
) -> None:
    ids = await option_ids(admin)

    updated = await update(
        admin,
        companyName="  Acme Trading  ",
        timezone="Europe/Berlin",
        temporaryReleaseDays=10,
        temporaryReclaimBanDays=0,
        publicClaimBanDays=20,
        privateNoContactDays=45,
        privatePoolCap=0,
        temporaryPoolCap=80,
        releaseWarningDays=2,
        maturityOptions=[
            {"id": ids["A"], "label": " Hot ", "pool": "TEMPORARY"},
            {"id": ids["J"], "label": "Dead"},
            {"id": ids["E"], "pool": "PUBLIC"},
        ],
    )

    assert updated["__typename"] == "SystemSettingsSuccess"
    expected_options = [
        {"id": ids[label], "label": label, "sortOrder": i, "pool": pool}
        for i, (label, pool) in enumerate(DEFAULT_MATURITY)
    ]
    expected_options[0].update(label="Hot", pool="TEMPORARY")
    expected_options[4].update(pool="PUBLIC")
    expected_options[9].update(label="Dead")
    expected = {
        "companyName": "Acme Trading",
        "timezone": "Europe/Berlin",
        "temporaryReleaseDays": 10,
        "temporaryReclaimBanDays": 0,
        "publicClaimBanDays": 20,
        "privateNoContactDays": 45,
        "privatePoolCap": 0,
        "temporaryPoolCap": 80,
        "releaseWarningDays": 2,
        "maturityOptions": expected_options,
    }
    assert updated["settings"] == expected
    assert await settings(sales1) == expected

    entries = {(e["entityType"], e["entityId"]): e for e in await log(admin)}
    assert entries[("system_settings", 1)]["changes"] == {
        "companyName": ["Demo Trading Co.", "Acme Trading"],
        "timezone": ["Asia/Shanghai", "Europe/Berlin"],
        "temporaryReleaseDays": [7, 10],
        "temporaryReclaimBanDays": [30, 0],
        "publicClaimBanDays": [15, 20],
        "privateNoContactDays": [30, 45],
        "privatePoolCap": [100, 0],
        "temporaryPoolCap": [50, 80],
        "releaseWarningDays": [3, 2],
    }
    assert entries[("maturity_option", ids["A"])]["changes"] == {
        "label": ["A", "Hot"],
        "pool": ["private", "temporary"],
    }
    assert entries[("maturity_option", ids["J"])]["changes"] == {"label": ["J", "Dead"]}
    assert entries[("maturity_option", ids["E"])]["changes"] == {"pool": ["temporary", "public"]}
    assert len(entries) == 4
    assert {e["action"] for e in entries.values()} == {"update"}
    assert {e["actor"]["loginName"] for e in entries.values()} == {"admin"}


async def test_fields_left_out_stay_as_they_are(admin: GraphQLClient) -> None:
    before = await settings(admin)
    updated = await update(admin, releaseWarningDays=5)
    assert updated["settings"] == {**before, "releaseWarningDays": 5}
    assert await settings(admin) == {**before, "releaseWarningDays": 5}


async def test_an_empty_update_changes_and_logs_nothing(admin: GraphQLClient) -> None:
    unchanged = await Unchanged(admin).capture()
    updated = await update(admin)
    assert updated["settings"] == unchanged.settings
    await unchanged.check()


# --- refusals: every refused input leaves every setting as it was --------------------------

BAD_SCALARS: list[tuple[dict[str, Any], dict[str, str]]] = [
    ({"temporaryReleaseDays": -1}, {"temporaryReleaseDays": "must be zero or more (got -1)"}),
    (
        {"temporaryReclaimBanDays": -3},
        {"temporaryReclaimBanDays": "must be zero or more (got -3)"},
    ),
    ({"publicClaimBanDays": -1}, {"publicClaimBanDays": "must be zero or more (got -1)"}),
    ({"privateNoContactDays": -30}, {"privateNoContactDays": "must be zero or more (got -30)"}),
    ({"releaseWarningDays": -1}, {"releaseWarningDays": "must be zero or more (got -1)"}),
    ({"privatePoolCap": -1}, {"privatePoolCap": "must be zero or more (got -1)"}),
    ({"temporaryPoolCap": -50}, {"temporaryPoolCap": "must be zero or more (got -50)"}),
    ({"temporaryReleaseDays": 0}, {"temporaryReleaseDays": "must be at least 1 day"}),
    ({"privateNoContactDays": 0}, {"privateNoContactDays": "must be at least 1 day"}),
    (
        {"timezone": "Mars/Olympus_Mons"},
        {"timezone": "'Mars/Olympus_Mons' is not a known time zone (e.g. Asia/Shanghai)"},
    ),
    ({"timezone": ""}, {"timezone": "must not be empty"}),
    (
        {"timezone": "zone.tab"},
        {"timezone": "'zone.tab' is not a known time zone (e.g. Asia/Shanghai)"},
    ),
    ({"companyName": "   "}, {"companyName": "must not be empty"}),
    ({"companyName": "c" * 201}, {"companyName": "must have at most 200 characters (has 201)"}),
]


@pytest.mark.parametrize(
    ("fields", "problems"),
    BAD_SCALARS,
    ids=[f"{name}={value!r}"[:40] for fields, _ in BAD_SCALARS for name, value in fields.items()],
)
async def test_a_bad_scalar_is_refused_and_changes_nothing(
    admin: GraphQLClient, fields: dict[str, Any], problems: dict[str, str]
) -> None:
    unchanged = await Unchanged(admin).capture()

    refused = await update(admin, **fields)

    assert problem_fields(refused) == list(problems)
    assert {p["field"]: p["message"] for p in refused["problems"]} == problems
    await unchanged.check()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"id": 999_999, "label": "Z"},
            "maturityOptions[0].id",
            "maturity option 999999 does not exist",
        ),
        ({"label": ""}, "maturityOptions[0].label", "must not be empty"),
        (
            {"label": "L" * 51},
            "maturityOptions[0].label",
            "must have at most 50 characters (has 51)",
        ),
        (
            {"pool": "SPECIAL"},
            "maturityOptions[0].pool",
            "'special' is not a pool a maturity grade can send customers to "
            "(one of PRIVATE, TEMPORARY, PUBLIC)",
        ),
        ({"label": "B"}, "maturityOptions", "maturity labels must be unique"),
        ({"label": "  J "}, "maturityOptions", "maturity labels must be unique"),
    ],
    ids=[
        "unknown-id",
        "empty-label",
        "long-label",
        "special-pool",
        "duplicate",
        "duplicate-spaced",
    ],
)
async def test_a_bad_maturity_option_is_refused_and_changes_nothing(
    admin: GraphQLClient, change: dict[str, Any], field: str, message: str
) -> None:
    unchanged = await Unchanged(admin).capture()
    option = {"id": (await option_ids(admin))["A"], **change}

    refused = await update(admin, maturityOptions=[option])

    assert refused["problems"] == [{"field": field, "message": message}]
    assert problem_fields(refused) == [field]
    await unchanged.check()


async def test_two_options_given_the_same_new_label_are_refused(admin: GraphQLClient) -> None:
    ids = await option_ids(admin)
    unchanged = await Unchanged(admin).capture()
    refused = await update(
        admin,
        maturityOptions=[{"id": ids["A"], "label": "Hot"}, {"id": ids["B"], "label": "Hot"}],
    )
    assert problem_fields(refused) == ["maturityOptions"]
    await unchanged.check()


async def test_several_bad_fields_are_all_reported_and_nothing_changes(
    admin: GraphQLClient,
) -> None:
    ids = await option_ids(admin)
    unchanged = await Unchanged(admin).capture()

    refused = await update(
        admin,
        # valid, but must not be applied while anything else is wrong
        companyName="Valid New Name",
        releaseWarningDays=10,
        publicClaimBanDays=1,
        # wrong
        timezone="Nowhere/Land",
        temporaryReleaseDays=0,
        privatePoolCap=-3,
        temporaryPoolCap=-1,
        maturityOptions=[
            {"id": ids["A"], "label": "Renamed A"},
            {"id": ids["B"], "pool": "SPECIAL"},
            {"id": 999_999},
        ],
    )

    assert sorted(problem_fields(refused)) == sorted(
        [
            "timezone",
            "temporaryReleaseDays",
            "privatePoolCap",
            "temporaryPoolCap",
            "maturityOptions[1].pool",
            "maturityOptions[2].id",
        ]
    )
    await unchanged.check()


async def test_a_pool_outside_the_enum_is_a_top_level_error_and_changes_nothing(
    admin: GraphQLClient,
) -> None:
    a = (await option_ids(admin))["A"]
    unchanged = await Unchanged(admin).capture()

    body = await admin.execute(
        UPDATE, input={"companyName": "Changed", "maturityOptions": [{"id": a, "pool": "NOWHERE"}]}
    )

    assert "data" not in body  # refused before execution: nothing ran
    assert len(body["errors"]) == 1
    await unchanged.check()


async def test_a_pool_outside_the_enum_is_reported_as_a_client_error(
    admin: GraphQLClient,
) -> None:
    a = (await option_ids(admin))["A"]
    body = await admin.execute(UPDATE, input={"maturityOptions": [{"id": a, "pool": "NOWHERE"}]})
    [error] = body["errors"]
    assert error["extensions"]["code"] in {"GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"}
    assert "NOWHERE" in error["message"]


@pytest.mark.parametrize("timezone", ["Asia", "Europe", "US"])
async def test_a_time_zone_region_is_refused_as_invalid_input(
    admin: GraphQLClient, timezone: str
) -> None:
    unchanged = await Unchanged(admin).capture()
    body = await admin.execute(UPDATE, input={"timezone": timezone})
    await unchanged.check()
    assert body.get("errors") is None, body["errors"]
    assert problem_fields(body["data"]["result"]) == ["timezone"]


async def test_two_maturity_labels_can_be_swapped_in_one_update(admin: GraphQLClient) -> None:
    ids = await option_ids(admin)
    body = await admin.execute(
        UPDATE,
        input={"maturityOptions": [{"id": ids["A"], "label": "B"}, {"id": ids["B"], "label": "A"}]},
    )
    assert body.get("errors") is None, body["errors"]
    labels = {o["id"]: o["label"] for o in (await settings(admin))["maturityOptions"]}
    assert (labels[ids["A"]], labels[ids["B"]]) == ("B", "A")


# --- permissions ----------------------------------------------------------------------------


async def test_non_admins_are_forbidden_to_update_settings(
    non_admin: GraphQLClient, admin: GraphQLClient
) -> None:
    a = (await option_ids(admin))["A"]
    unchanged = await Unchanged(admin).capture()

    for fields in (
        {"privatePoolCap": 1000},
        {"maturityOptions": [{"id": a, "pool": "PUBLIC"}]},
        {"temporaryReleaseDays": -1},  # refused for permission before validation
    ):
        await forbidden(non_admin, UPDATE, input=fields)

    await unchanged.check()
