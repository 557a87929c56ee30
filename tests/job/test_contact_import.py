"""Contacts imported on their own: each row names an existing customer the importer may edit,
by name or by id; checked whole against the contact form, scope and duplicates, written whole
or not at all."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select, update

from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.db.models import Contact, Customer, Pool, Position
from gql_crm.services import imports
from gql_crm.services.unit_of_work import Services
from tests.conftest import START
from tests.fixtures.factories import count, make_customer
from tests.fixtures.statements import count_statements
from tests.graphql_client import GraphQLClient
from tests.job.support import (
    download,
    export,
    import_response,
    imported,
    rows_of,
    workbook,
)

HEADER = ["Customer *", "Contact name *", "Contact mobile", "Contact email"]  # as it once was
BY_ID = ["Customer", "Customer ID", "Contact name", "Contact mobile"]


async def _contacts(services: Services) -> list[tuple[str, str, str | None, bool]]:
    async with services.database.reader() as session:
        rows = await session.execute(
            select(Customer.name, Contact.name, Contact.mobile, Contact.is_primary)
            .join(Customer, Customer.id == Contact.customer_id)
            .order_by(Contact.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def _grant_contact_import(services: Services, position: str) -> None:
    async with services.database.writer() as session, session.begin():
        held = await session.scalar(select(Position.permissions).where(Position.name == position))
        assert held is not None
        await session.execute(
            update(Position)
            .where(Position.name == position)
            .values(permissions=[*held, basic(Module.CONTACT, Action.IMPORT)])
        )


async def test_bad_rows_are_all_named_and_nothing_is_written(
    manager1: GraphQLClient, services: Services
) -> None:
    await _grant_contact_import(services, "Sales manager")
    await make_customer(services, "sales1", "Acme")  # within manager1's scope
    await make_customer(services, "sales1", "Twin")
    await make_customer(services, "sales2", "twin")  # the same name, another customer
    await make_customer(services, "sales3", "Far Away")  # outside the scope: unseen
    await make_customer(services, None, "Open Ltd")  # seen in the public pool, not editable
    content = workbook(
        HEADER,
        ["Acme", "Bob", "13912345678", None],
        ["Nobody Inc", "Ann", None, None],
        ["twin", "Tom", None, None],
        ["Far Away", "Lu", None, None],
        ["Open Ltd", "Mo", None, None],
        ["Acme", "Eve", "not a phone", None],
        ["ACME", "bob", "13912345678", None],  # row 2 again
        [None, "Kim", None, None],
    )
    job = await imported(manager1, services, "CONTACTS", content)
    assert job["state"] == "FAILED", job
    reasons = {(p["row"], p["column"]): p["reason"] for p in job["problems"]}
    assert set(reasons) == {
        (3, "Customer *"),
        (4, "Customer *"),
        (5, "Customer *"),
        (6, "Customer *"),
        (7, "Contact mobile"),
        (8, "Contact name *"),
        (9, "Customer *"),
    }, reasons
    assert reasons[(3, "Customer *")] == reasons[(5, "Customer *")]  # unseen as missing
    assert reasons[(4, "Customer *")].startswith("names 2 customers")
    assert "may not edit" in reasons[(6, "Customer *")]
    assert reasons[(8, "Contact name *")] == "repeats the contact of row 2"
    assert await count(services, Contact) == 0
    marked = load_workbook(io.BytesIO(await download(manager1, job["resultUrl"])))
    sheet = marked.worksheets[0]
    assert [c.value for c in sheet[1]] == [*HEADER, "Reason"]
    assert sheet.cell(row=2, column=5).value is None
    assert "may not edit" in sheet.cell(row=6, column=5).value


async def test_a_valid_file_lands_whole_and_the_same_file_again_is_refused(
    admin: GraphQLClient, services: Services
) -> None:
    acme = await make_customer(services, "sales1", "Acme")
    await make_customer(services, None, "Open Ltd", Pool.PUBLIC)
    async with services.database.writer() as session, session.begin():
        session.add(
            Contact(customer_id=acme, name="Old", is_primary=True, created_at=START,
                    updated_at=START)
        )  # fmt: skip
    template = rows_of(await download(admin, "/templates/contacts.xlsx"))
    assert template[0][:3] == ["Customer", "Customer ID", "Contact name *"]
    assert "unless Customer ID" in template[1][0] and "decides" in template[1][1]
    header = template[0]
    content = workbook(
        header,
        template[1],  # the notes row is skipped
        ["acme", None, "Bob", None, "13912345678", None, None, None],
        ["Open Ltd", None, "Ann", "female", None, None, "ann@example.com", "Buyer"],
        ["Open Ltd", None, "Ann", None, "13700001111", None, None, None],  # another Ann
    )
    dry = await imported(admin, services, "CONTACTS", content, dry_run=True)
    assert dry["state"] == "SUCCEEDED" and dry["dryRun"], dry
    assert await count(services, Contact) == 1
    job = await imported(admin, services, "CONTACTS", content)
    assert job["state"] == "SUCCEEDED", job
    assert await _contacts(services) == [
        ("Acme", "Old", None, True),
        ("Acme", "Bob", "13912345678", False),
        ("Open Ltd", "Ann", None, True),  # a customer's first contact is its primary one
        ("Open Ltd", "Ann", "13700001111", False),
    ]
    # A contacts export imports again as it is, and every contact is known already.
    exported = await download(admin, (await export(admin, services, "CONTACTS"))["resultUrl"])
    again = await imported(admin, services, "CONTACTS", exported)
    assert again["state"] == "FAILED"
    assert {p["reason"] for p in again["problems"]} == {
        "this customer has this contact already (same name, phones and e-mail)"
    }
    assert len(again["problems"]) == 4
    assert await count(services, Contact) == 4


async def test_contact_imports_need_the_permission(
    sales1: GraphQLClient, services: Services
) -> None:
    await make_customer(services, "sales1", "Acme")
    body = await import_response(sales1, "CONTACTS", workbook(HEADER, ["Acme", "Bob"]), False)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    assert await count(services, Contact) == 0


async def test_a_row_may_name_its_customer_by_id_which_wins_over_the_name(
    manager1: GraphQLClient, services: Services
) -> None:
    await _grant_contact_import(services, "Sales manager")
    acme = await make_customer(services, "sales1", "Acme")
    twin = await make_customer(services, "sales1", "Twin")
    other_twin = await make_customer(services, "sales2", "twin")
    far = await make_customer(services, "sales3", "Far Away")  # outside the scope: unseen
    open_ltd = await make_customer(services, None, "Open Ltd")  # seen, not editable
    content = workbook(
        BY_ID,
        [None, twin, "Bob", None],  # the name alone would name two customers
        ["Acme", str(other_twin), "Ann", None],  # the id wins, as text too
        [None, 999_999, "Kim", None],
        [None, far, "Lu", None],
        ["Acme", open_ltd, "Mo", None],
        ["Acme", "twelve", "Zed", None],
        [None, acme, "Eve", "13912345678"],
        ["ACME", None, "eve", "13912345678"],  # row 8's contact again, by name
        [None, None, "Nobody", None],
    )
    job = await imported(manager1, services, "CONTACTS", content)
    assert job["state"] == "FAILED", job
    assert [(p["row"], p["column"], p["value"], p["reason"]) for p in job["problems"]] == [
        (4, "Customer ID", "999999", "no customer you may see has this id"),
        (5, "Customer ID", str(far), "no customer you may see has this id"),
        (6, "Customer ID", str(open_ltd), imports.NOT_YOURS),
        (7, "Customer ID", "twelve", "is not a customer id (a whole number)"),
        (9, "Contact name", "eve", "repeats the contact of row 8"),
        (10, "Customer", None, "must name an existing customer (or give its id)"),
    ]
    assert await count(services, Contact) == 0

    good = workbook(BY_ID, [None, twin, "Bob", None], ["Acme", str(other_twin), "Ann", None])
    done = await imported(manager1, services, "CONTACTS", good)
    assert done["state"] == "SUCCEEDED", done
    assert await _contacts(services) == [("Twin", "Bob", None, True), ("twin", "Ann", None, True)]


async def test_customers_are_found_a_batch_at_a_time_not_a_row_at_a_time(
    admin: GraphQLClient, services: Services
) -> None:
    ids = [await make_customer(services, None, f"Customer {n}") for n in range(30)]

    async def statements(rows: int) -> int:
        content = workbook(
            BY_ID,
            *([f"Customer {n}", None, "By name", None] for n in range(rows)),
            *([None, ids[n], "By id", None] for n in range(rows)),
        )
        async with count_statements(services) as counted:
            job = await imported(admin, services, "CONTACTS", content, dry_run=True)
        assert job["state"] == "SUCCEEDED", job
        return len(counted)

    assert await statements(2) == await statements(30)
