"""Imports apply the system settings' duplicate rule (name, phone, e-mail) as the mutations
do: within the file and against the live customers, each repeat named at its cell."""

from __future__ import annotations

from typing import Any

from gql_crm.db.models import Contact, Customer
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import count
from tests.fixtures.graphql import create, set_duplicate_rule
from tests.graphql_client import GraphQLClient
from tests.job.support import imported, workbook

HEADER = ["Name *", "City", "Contact name", "Contact mobile", "Contact email"]


async def test_customer_imports_refuse_repeats_by_the_phones_and_e_mails_chosen(
    admin: GraphQLClient, services: Services
) -> None:
    await set_duplicate_rule(admin, name=False, phone=True, email=True)
    await create(admin, "Old Co", contacts=[{"name": "Al", "mobile": "13700001111",
                                            "email": "old@x.com"}])  # fmt: skip
    rows: list[list[Any]] = [
        HEADER,
        ["Acme", None, "Bob", "139 1234 5678", None],
        ["Acme", None, "Eve", "13912345678", None],  # the same customer: its own number
        ["Beta", None, "Tom", "13912345678", None],
        ["Gamma", None, "Kim", "137-0000-1111", None],
        ["Delta", None, "Lu", None, "OLD@x.com"],
        ["Old Co", None, "Mo", None, None],  # the name alone makes no duplicate now
        ["Epsilon", None, None, None, None],
        ["Epsilon", None, "Zoe", "13912345678", None],  # its contact, on a further row
    ]
    job = await imported(admin, services, "ENTERPRISE_CUSTOMERS", workbook(*rows))
    assert job["state"] == "FAILED", job
    assert {(p["row"], p["column"], p["reason"]) for p in job["problems"]} == {
        (4, "Contact mobile", "duplicates the customer of row 2 (the same phone number)"),
        (5, "Contact mobile", "a customer with this phone number exists already"),
        (6, "Contact email", "a customer with this e-mail exists already"),
        (9, "Contact mobile", "duplicates the customer of row 2 (the same phone number)"),
    }
    assert await count(services, Customer) == 1

    # With no rule, the same file lands whole, and so do two customers of one name.
    await set_duplicate_rule(admin, name=False, phone=False, email=False)
    twins = [["Twin", "Ningbo", None, None, None], ["Twin", "Hangzhou", None, None, None]]
    job = await imported(admin, services, "ENTERPRISE_CUSTOMERS", workbook(*rows, *twins))
    assert job["state"] == "SUCCEEDED", job
    assert await count(services, Customer) == 9
    assert await count(services, Customer, Customer.name == "Twin") == 2


async def test_contact_imports_refuse_another_customers_phone_when_chosen(
    admin: GraphQLClient, services: Services
) -> None:
    await create(admin, "Acme", contacts=[{"name": "Bob", "mobile": "13912345678"}])
    await create(admin, "Beta")
    content = workbook(
        ["Customer", "Contact name", "Contact phone"],
        ["Beta", "Zed", "139 1234 5678"],  # Acme's number
        ["Acme", "Ann", "13912345678"],  # Acme's own
    )
    by_default = await imported(admin, services, "CONTACTS", content, dry_run=True)
    assert by_default["state"] == "SUCCEEDED", by_default  # by default only names count
    await set_duplicate_rule(admin, name=True, phone=True, email=False)
    job = await imported(admin, services, "CONTACTS", content)
    assert job["state"] == "FAILED", job
    assert [(p["row"], p["column"], p["reason"]) for p in job["problems"]] == [
        (2, "Contact phone", "a customer with this phone number exists already")
    ]
    assert await count(services, Contact) == 1
