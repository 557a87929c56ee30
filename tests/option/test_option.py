"""Option lists (F2.3) and entry-form settings (F2.2)."""

from __future__ import annotations

from typing import Any

from tests.fixtures.errors import error, forbidden, invalid, not_found
from tests.fixtures.graphql import (
    DELETE_CUSTOMER,
    ERRORS,
    FORM_SETTINGS,
    OPTIONS,
    RESTORE_CUSTOMER,
    UPDATE_FORM,
    create,
    customer,
    log,
    maturity_ids,
    option_ids,
    option_rows,
    result,
    update_form,
)
from tests.graphql_client import GraphQLClient

OPTION_RESULT = (
    f"__typename ... on OptionSuccess {{ option {{ id list label sortOrder }} }} {ERRORS}"
)
ADD = f"""
mutation($list: OptionList!, $label: String!) {{
  result: addOption(list: $list, label: $label) {{ {OPTION_RESULT} }}
}}
"""
RENAME = f"""
mutation($id: Int!, $label: String!) {{
  result: renameOption(id: $id, label: $label) {{ {OPTION_RESULT} }}
}}
"""
REORDER = f"""
mutation($list: OptionList!, $ids: [Int!]!) {{
  result: reorderOptions(list: $list, ids: $ids) {{
    __typename ... on OptionsSuccess {{ options {{ id list label sortOrder }} }} {ERRORS}
  }}
}}
"""
DELETE = f"""
mutation($id: Int!, $replacementId: Int) {{
  result: deleteOption(id: $id, replacementId: $replacementId) {{
    __typename ... on DeleteSuccess {{ id }} {ERRORS}
  }}
}}
"""
CREATE_FOLLOW_UP = """
mutation($customerId: Int!, $methodId: Int) {
  result: createFollowUp(customerId: $customerId, input: {content: "Met.", methodId: $methodId}) {
    __typename ... on FollowUpSuccess { followUp { id methodId method { label } } }
  }
}
"""
FOLLOW_UP_METHODS = (
    "query($id: Int!) { customer(id: $id) { followUps { nodes { methodId method { label } } } } }"
)

COMPANY_FIELDS = [
    "shortName",
    "acquiredOn",
    "categoryId",
    "sourceId",
    "statusId",
    "maturityId",
    "industryId",
    "city",
    "address",
    "website",
    "remarks",
]
CONTACT_FIELDS = ["gender", "mobile", "phone", "email", "title"]
DEFAULT_SOURCES = ["Advertising", "Partner", "Referral", "Website", "Exhibition"]


async def labels(client: GraphQLClient, option_list: str) -> list[tuple[str, int]]:
    return [(row["label"], row["sortOrder"]) for row in await option_rows(client, option_list)]


def default_form(fields: list[str]) -> list[dict[str, Any]]:
    return [{"field": name, "shown": True, "required": False} for name in fields]


# --- options ----------------------------------------------------------------------------------


async def test_every_list_has_its_defaults_in_order(sales1: GraphQLClient) -> None:
    assert await labels(sales1, "SOURCE") == [(label, i) for i, label in enumerate(DEFAULT_SOURCES)]
    everything = (await sales1.data(OPTIONS))["options"]
    # All lists at once: each list together, in its display order.
    lists = [row["list"] for row in everything]
    assert sorted(set(lists)) == [
        "CATEGORY",
        "FOLLOW_UP_METHOD",
        "INDUSTRY",
        "OPPORTUNITY_TYPE",
        "PRODUCT_CATEGORY",
        "SOURCE",
        "STATUS",
    ]
    assert lists == sorted(lists)
    for name in set(lists):
        assert [row for row in everything if row["list"] == name] == await option_rows(sales1, name)
    assert len(everything) == 3 + 5 + 3 + 5 + 5 + 3 + 3


async def test_add_option_appends_to_its_list(admin: GraphQLClient) -> None:
    added = await result(admin, ADD, list="SOURCE", label="  Trade show ")
    assert added == {
        "__typename": "OptionSuccess",
        "option": {
            "id": added["option"]["id"],
            "list": "SOURCE",
            "label": "Trade show",
            "sortOrder": 5,
        },
    }
    assert await labels(admin, "SOURCE") == [
        *((label, i) for i, label in enumerate(DEFAULT_SOURCES)),
        ("Trade show", 5),
    ]
    assert await log(admin, "option", added["option"]["id"]) == [
        {
            "action": "create",
            "changes": {"list": [None, "source"], "label": [None, "Trade show"]},
            "actor": {"loginName": "admin"},
        }
    ]
    # The same label may live in another list.
    elsewhere = await result(admin, ADD, list="CATEGORY", label="Partner")
    assert elsewhere["__typename"] == "OptionSuccess"


async def test_a_duplicate_or_bad_label_is_refused(admin: GraphQLClient) -> None:
    before = await option_rows(admin, "SOURCE")
    duplicate = error(
        "ConflictError", "CONFLICT", "The source list already has 'Partner'.", "label"
    )
    assert await result(admin, ADD, list="SOURCE", label="Partner") == duplicate
    assert await result(admin, ADD, list="SOURCE", label=" Partner  ") == duplicate
    assert await result(admin, ADD, list="SOURCE", label="  ") == invalid(
        ("label", "must not be empty")
    )
    assert await result(admin, ADD, list="SOURCE", label="l" * 51) == invalid(
        ("label", "must have at most 50 characters (has 51)")
    )
    assert await option_rows(admin, "SOURCE") == before


async def test_rename_option(admin: GraphQLClient) -> None:
    options = await option_ids(admin)
    partner = options["SOURCE"]["Partner"]
    user = await create(admin, "Uses Partner", sourceId=partner)

    renamed = await result(admin, RENAME, id=partner, label="Partners")
    assert renamed["option"] == {
        "id": partner,
        "list": "SOURCE",
        "label": "Partners",
        "sortOrder": 1,
    }
    assert (await customer(admin, user["id"]) or {})["source"] == {"label": "Partners"}
    assert await log(admin, "option", partner) == [
        {
            "action": "rename",
            "changes": {"label": ["Partner", "Partners"]},
            "actor": {"loginName": "admin"},
        }
    ]

    # Renaming to its own label changes nothing; to a sibling's label is a conflict.
    assert (await result(admin, RENAME, id=partner, label="Partners"))["__typename"] == (
        "OptionSuccess"
    )
    assert len(await log(admin, "option", partner)) == 1
    taken = await result(admin, RENAME, id=partner, label="Referral")
    assert taken == error(
        "ConflictError", "CONFLICT", "The source list already has 'Referral'.", "label"
    )
    assert await result(admin, RENAME, id=99999, label="X") == not_found("Option", 99999)
    assert (await option_ids(admin))["SOURCE"]["Partners"] == partner


async def test_reorder_options(admin: GraphQLClient) -> None:
    rows = await option_rows(admin, "SOURCE")
    ids = [row["id"] for row in rows]
    category_id = (await option_ids(admin))["CATEGORY"]["VIP customer"]

    expected_problem = (
        "ids",
        f"give every option of the source list exactly once: {sorted(ids)}",
    )
    for bad in (ids[:-1], [*ids[:-1], category_id], [*ids, ids[0]], [*ids, 99999]):
        assert await result(admin, REORDER, list="SOURCE", ids=bad) == invalid(expected_problem)
    assert await option_rows(admin, "SOURCE") == rows

    reordered = await result(admin, REORDER, list="SOURCE", ids=ids[::-1])
    expected = [{**row, "sortOrder": position} for position, row in enumerate(reversed(rows))]
    assert reordered == {"__typename": "OptionsSuccess", "options": expected}
    assert await option_rows(admin, "SOURCE") == expected
    assert (await log(admin, "option_list", 0))[0] == {
        "action": "reorder",
        "changes": {"list": [None, "source"], "order": [None, ids[::-1]]},
        "actor": {"loginName": "admin"},
    }
    # Other lists keep their order.
    assert [row["label"] for row in await option_rows(admin, "CATEGORY")] == [
        "Old customer",
        "Normal customer",
        "VIP customer",
    ]


async def test_an_option_in_use_needs_a_replacement_from_the_same_list(
    admin: GraphQLClient, manager1: GraphQLClient, sales1: GraphQLClient
) -> None:
    options = await option_ids(admin)
    grades = await maturity_ids(admin)
    partner, referral = options["SOURCE"]["Partner"], options["SOURCE"]["Referral"]
    first = await create(admin, "First", sourceId=partner)
    second = await create(sales1, "Second", sourceId=partner, maturityId=grades["A"])
    binned = await create(sales1, "Binned", sourceId=partner, maturityId=grades["A"])
    await create(admin, "Bystander", sourceId=referral)
    deleted = await result(manager1, DELETE_CUSTOMER, id=binned["id"])
    assert deleted["__typename"] == "CustomerSuccess"
    before = await option_rows(admin, "SOURCE")

    in_use = await result(admin, DELETE, id=partner)
    # Customers in a recycle bin count too: they would come back with the option.
    assert in_use == error(
        "ConflictError",
        "CONFLICT",
        "'Partner' is used by 3 record(s); give a replacementId to move them.",
    )
    foreign = await result(
        admin, DELETE, id=partner, replacementId=options["CATEGORY"]["VIP customer"]
    )
    assert foreign == invalid(("replacementId", "must be another option of the source list"))
    itself = await result(admin, DELETE, id=partner, replacementId=partner)
    assert itself == invalid(("replacementId", "must be another option of the source list"))
    unknown = await result(admin, DELETE, id=partner, replacementId=99999)
    assert unknown == not_found("Option", 99999, "replacementId")
    assert await option_rows(admin, "SOURCE") == before
    assert (await customer(admin, first["id"]) or {})["sourceId"] == partner

    moved = await result(admin, DELETE, id=partner, replacementId=referral)
    assert moved == {"__typename": "DeleteSuccess", "id": partner}
    assert "Partner" not in [row["label"] for row in await option_rows(admin, "SOURCE")]
    for moved_customer in (first, second):
        found = await customer(admin, moved_customer["id"])
        assert found is not None
        assert (found["sourceId"], found["source"]) == (referral, {"label": "Referral"})
    restored = await result(manager1, RESTORE_CUSTOMER, id=binned["id"])
    assert restored["customer"]["source"] == {"label": "Referral"}
    assert await log(admin, "option", partner) == [
        {
            "action": "delete",
            "changes": {
                "label": ["Partner", None],
                "replacementId": [None, referral],
                "moved": [0, 3],
            },
            "actor": {"loginName": "admin"},
        }
    ]


async def test_deleting_a_follow_up_method_moves_its_follow_ups(admin: GraphQLClient) -> None:
    options = await option_ids(admin)
    visit, other = options["FOLLOW_UP_METHOD"]["Visit"], options["FOLLOW_UP_METHOD"]["Other"]
    acme = await create(admin, "Acme")
    followed = await admin.data(CREATE_FOLLOW_UP, customerId=acme["id"], methodId=visit)
    assert followed["result"]["followUp"]["methodId"] == visit

    refused = await result(admin, DELETE, id=visit)
    assert refused["code"] == "CONFLICT"
    assert refused["message"] == (
        "'Visit' is used by 1 record(s); give a replacementId to move them."
    )
    assert (await result(admin, DELETE, id=visit, replacementId=other))["id"] == visit
    assert (await admin.data(FOLLOW_UP_METHODS, id=acme["id"]))["customer"]["followUps"][
        "nodes"
    ] == [{"methodId": other, "method": {"label": "Other"}}]


async def test_an_unused_option_goes_without_a_replacement(admin: GraphQLClient) -> None:
    options = await option_ids(admin)
    website = options["SOURCE"]["Website"]
    assert await result(admin, DELETE, id=website) == {"__typename": "DeleteSuccess", "id": website}
    assert [label for label, _ in await labels(admin, "SOURCE")] == [
        "Advertising",
        "Partner",
        "Referral",
        "Exhibition",
    ]
    assert await result(admin, DELETE, id=website) == not_found("Option", website)
    # A deleted option can no longer be chosen.
    refused = await result(
        admin,
        """
        mutation($id: Int!) {
          result: createCustomer(input: {name: "Late", sourceId: $id}) {
            __typename ... on InvalidInputError { code field }
          }
        }
        """,
        id=website,
    )
    assert refused == {
        "__typename": "InvalidInputError",
        "code": "INVALID_INPUT",
        "field": "sourceId",
    }


# --- form settings ----------------------------------------------------------------------------


async def test_form_settings_list_the_configurable_fields(sales1: GraphQLClient) -> None:
    company = (await sales1.data(FORM_SETTINGS, form="COMPANY"))["formSettings"]
    assert company == {"form": "COMPANY", "fields": default_form(COMPANY_FIELDS)}
    contact = (await sales1.data(FORM_SETTINGS, form="CONTACT"))["formSettings"]
    assert contact == {"form": "CONTACT", "fields": default_form(CONTACT_FIELDS)}


async def test_update_form_settings(admin: GraphQLClient) -> None:
    changed = await update_form(admin, "COMPANY", ("website", False, False), ("city", True, True))
    expected = [
        {
            "field": name,
            "shown": name != "website",
            "required": name == "city",
        }
        for name in COMPANY_FIELDS
    ]
    assert changed == {
        "__typename": "FormSettingsSuccess",
        "settings": {"form": "COMPANY", "fields": expected},
    }
    assert (await admin.data(FORM_SETTINGS, form="COMPANY"))["formSettings"]["fields"] == expected
    # The other form is untouched.
    contact = (await admin.data(FORM_SETTINGS, form="CONTACT"))["formSettings"]["fields"]
    assert contact == default_form(CONTACT_FIELDS)
    assert await log(admin, "form_field", 0) == [
        {
            "action": "update",
            "changes": {"company.city": [[True, False], [True, True]]},
            "actor": {"loginName": "admin"},
        },
        {
            "action": "update",
            "changes": {"company.website": [[True, False], [False, False]]},
            "actor": {"loginName": "admin"},
        },
    ]


async def test_unknown_or_hidden_required_form_fields_are_refused(admin: GraphQLClient) -> None:
    refused = await update_form(
        admin,
        "COMPANY",
        ("city", True, True),
        ("mobile", True, False),
        ("remarks", False, True),
        ("name", False, False),
    )
    company_list = ", ".join(COMPANY_FIELDS)
    assert refused == invalid(
        ("fields[1].field", f"'mobile' is not a company form field ({company_list})"),
        ("fields[2].required", "a hidden field cannot be required"),
        ("fields[3].field", f"'name' is not a company form field ({company_list})"),
    )
    contact = await update_form(admin, "CONTACT", ("city", True, True))
    assert contact == invalid(
        ("fields[0].field", f"'city' is not a contact form field ({', '.join(CONTACT_FIELDS)})")
    )
    # Nothing changed, not even the valid first entry.
    assert (await admin.data(FORM_SETTINGS, form="COMPANY"))["formSettings"]["fields"] == (
        default_form(COMPANY_FIELDS)
    )
    assert await log(admin, "form_field", 0) == []


# --- permissions ------------------------------------------------------------------------------


async def test_sales_staff_read_but_do_not_change_options_or_forms(
    sales1: GraphQLClient, admin: GraphQLClient, gql: GraphQLClient
) -> None:
    options = await option_ids(admin)
    partner, referral = options["SOURCE"]["Partner"], options["SOURCE"]["Referral"]
    sources = await option_rows(sales1, "SOURCE")
    ids = [row["id"] for row in sources]

    await forbidden(sales1, ADD, list="SOURCE", label="Mine")
    await forbidden(sales1, RENAME, id=partner, label="Mine")
    await forbidden(sales1, REORDER, list="SOURCE", ids=ids[::-1])
    await forbidden(sales1, DELETE, id=partner, replacementId=referral)
    await forbidden(
        sales1,
        UPDATE_FORM,
        form="COMPANY",
        fields=[{"field": "city", "shown": True, "required": True}],
    )

    assert await option_rows(sales1, "SOURCE") == sources
    assert (await sales1.data(FORM_SETTINGS, form="COMPANY"))["formSettings"]["fields"] == (
        default_form(COMPANY_FIELDS)
    )
    for query, variables in ((OPTIONS, {}), (FORM_SETTINGS, {"form": "COMPANY"})):
        assert await gql.error_codes(query, **variables) == ["UNAUTHENTICATED"]
