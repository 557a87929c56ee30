"""Entry forms per kind of customer: individuals have their own field set and settings, and
a field the form hides is refused, not silently stored."""

from __future__ import annotations

from tests.fixtures.errors import invalid
from tests.fixtures.graphql import (
    CREATE_CUSTOMER,
    FORM_SETTINGS,
    UPDATE_CUSTOMER,
    create,
    maturity_ids,
    result,
    update_form,
)
from tests.graphql_client import GraphQLClient

COUNT = "{ customers { totalCount } }"


async def _total(client: GraphQLClient) -> int:
    return int((await client.data(COUNT))["customers"]["totalCount"])


async def test_individual_customers_have_their_own_form(
    admin: GraphQLClient, sales1: GraphQLClient
) -> None:
    form = (await admin.data(FORM_SETTINGS, form="INDIVIDUAL"))["formSettings"]["fields"]
    assert [f["field"] for f in form] == [
        "acquiredOn", "categoryId", "sourceId", "statusId", "maturityId", "city", "address",
        "remarks",
    ]  # fmt: skip
    changed = await update_form(admin, "INDIVIDUAL", ("city", True, True))
    assert changed["__typename"] == "FormSettingsSuccess"
    before = await _total(admin)
    person = {"name": "Zhao Lei", "kind": "INDIVIDUAL"}
    refused = await result(sales1, CREATE_CUSTOMER, input=person)
    assert refused == invalid(("city", "is required by the individual form settings"))
    refused = await result(
        sales1, CREATE_CUSTOMER, input={**person, "city": "Wuxi", "website": "x"}
    )
    assert refused == invalid(("website", "is not a field of individual customers"))
    assert await _total(admin) == before
    # The enterprise form is untouched by the individual one.
    await create(sales1, "No City Ltd")
    created = await create(sales1, "Zhao Lei", kind="INDIVIDUAL", city="Wuxi")
    assert created["city"] == "Wuxi"


async def test_a_field_the_form_hides_is_refused(
    admin: GraphQLClient, sales1: GraphQLClient
) -> None:
    await update_form(admin, "COMPANY", ("website", False, False))
    await update_form(admin, "CONTACT", ("email", False, False))
    before = await _total(admin)
    refused = await result(sales1, CREATE_CUSTOMER, input={"name": "Web Ltd", "website": "a.cn"})
    assert refused == invalid(("website", "is hidden by the company form settings"))
    refused = await result(
        sales1,
        CREATE_CUSTOMER,
        input={"name": "Mail Ltd"},
        contacts=[{"name": "Ann", "email": "ann@mail.cn"}],
    )
    assert refused == invalid(("contacts[0].email", "is hidden by the contact form settings"))
    assert await _total(admin) == before

    grades = await maturity_ids(admin)
    created = await create(sales1, "Plain Ltd", maturityId=grades["A"])
    refused = await result(sales1, UPDATE_CUSTOMER, id=created["id"], input={"website": "a.cn"})
    assert refused == invalid(("website", "is hidden by the company form settings"))
    renamed = await result(sales1, UPDATE_CUSTOMER, id=created["id"], input={"city": "Xi'an"})
    assert renamed["__typename"] == "CustomerSuccess"
    assert renamed["customer"]["website"] is None
