"""The duplicate rule of the system settings (name, phone, e-mail) as the customer and contact
mutations and the restore from the recycle bin apply it; the imports apply the same rule
(tests/job/test_duplicates.py). Claims, transfers, releases and shares move live customers
only, which the rule has compared already: they cannot make a duplicate and do not check."""

from __future__ import annotations

from typing import Any

from gql_crm.db.models import Contact, Customer
from gql_crm.services.unit_of_work import Services
from tests.fixtures.errors import conflict
from tests.fixtures.factories import count
from tests.fixtures.graphql import (
    ADD_CONTACT,
    CREATE_CUSTOMER,
    DELETE_CUSTOMER,
    RESTORE_CUSTOMER,
    UPDATE_CONTACT,
    UPDATE_CUSTOMER,
    bin_names,
    create,
    names,
    result,
    set_duplicate_rule,
)
from tests.graphql_client import GraphQLClient


def refused(answer: dict[str, Any]) -> dict[str, str]:
    assert answer["__typename"] == "InvalidInputError", answer
    return {p["field"]: p["message"] for p in answer["problems"]}


async def test_by_default_a_name_makes_a_duplicate_and_off_it_does_not(
    admin: GraphQLClient, services: Services
) -> None:
    acme = await create(admin, "Acme", contacts=[{"name": "Bob", "mobile": "13912345678"}])
    await create(admin, "Beta")
    again = await result(admin, CREATE_CUSTOMER, input={"name": " ACME "})
    assert refused(again) == {"name": "a customer with this name exists already"}
    renamed = await result(admin, UPDATE_CUSTOMER, id=acme["id"], input={"name": "beta"})
    assert refused(renamed) == {"name": "a customer with this name exists already"}
    # Its own name in another case is no duplicate; a phone is none by default.
    own = await result(admin, UPDATE_CUSTOMER, id=acme["id"], input={"name": "ACME"})
    assert own["__typename"] == "CustomerSuccess", own
    await create(admin, "Gamma", contacts=[{"name": "Eve", "mobile": "13912345678"}])
    await set_duplicate_rule(admin, name=False, phone=False, email=False)
    await create(admin, "Acme")
    assert await count(services, Customer) == 4


async def test_a_phone_or_an_e_mail_makes_a_duplicate_when_the_admin_says_so(
    admin: GraphQLClient, services: Services
) -> None:
    await set_duplicate_rule(admin, name=False, phone=True, email=True)
    acme = await create(
        admin, "Acme", contacts=[{"name": "Bob", "mobile": "139-1234-5678", "email": "b@x.com"}]
    )
    other = await result(
        admin,
        CREATE_CUSTOMER,
        input={"name": "Acme"},  # the same name is no duplicate now
        contacts=[
            {"name": "Ann", "phone": "(139) 1234 5678"},  # the same digits
            {"name": "Tom", "email": "B@X.com"},
        ],
    )
    assert refused(other) == {
        "contacts[0].phone": "a customer with this phone number exists already",
        "contacts[1].email": "a customer with this e-mail exists already",
    }
    beta = await create(admin, "Beta")
    added = await result(
        admin, ADD_CONTACT, customerId=beta["id"], input={"name": "Ann", "mobile": "13912345678"}
    )
    assert refused(added) == {"mobile": "a customer with this phone number exists already"}
    # A customer's own numbers are not duplicates of it.
    own = await result(
        admin, ADD_CONTACT, customerId=acme["id"], input={"name": "Ann", "phone": "13912345678"}
    )
    assert own["__typename"] == "ContactSuccess", own
    mine = await result(
        admin, ADD_CONTACT, customerId=beta["id"], input={"name": "Kim", "email": "kim@x.com"}
    )
    changed = await result(
        admin,
        UPDATE_CONTACT,
        id=mine["contact"]["id"],
        input={"name": "Kim", "email": "b@x.com"},
    )
    assert refused(changed) == {"email": "a customer with this e-mail exists already"}
    await set_duplicate_rule(admin, name=False, phone=False, email=False)
    again = await result(
        admin, ADD_CONTACT, customerId=beta["id"], input={"name": "Ann", "mobile": "13912345678"}
    )
    assert again["__typename"] == "ContactSuccess", again
    assert await count(services, Contact) == 4


async def test_a_restore_that_would_repeat_a_live_customer_is_refused_and_changes_nothing(
    admin: GraphQLClient, services: Services
) -> None:
    acme = await create(
        admin,
        "Acme",
        contacts=[
            {"name": "Bob", "mobile": "13912345678", "email": "bob@acme.example"},
            {"name": "Eve", "phone": "021-5555 6666"},
        ],
    )
    gone = await result(admin, DELETE_CUSTOMER, id=acme["id"])
    assert gone["__typename"] == "CustomerSuccess", gone
    # While Acme is in the bin, its name and numbers are free to take.
    await create(admin, "ACME", contacts=[{"name": "Ann", "phone": "(139) 1234-5678"}])
    await create(admin, "Beta", contacts=[{"name": "Kim", "email": "BOB@acme.example"}])

    async def refused_with(*repeats: str) -> None:
        answer = await result(admin, RESTORE_CUSTOMER, id=acme["id"])
        assert answer == conflict(
            f"Customer {acme['id']} cannot be restored: {'; '.join(repeats)}."
        ), answer
        assert await bin_names(admin) == ["Acme"]
        assert sorted(await names(admin)) == ["ACME", "Beta"]

    await refused_with("a live customer has its name")
    await set_duplicate_rule(admin, name=True, phone=True, email=True)
    await refused_with(
        "a live customer has its name",
        "a live customer has the mobile number of its contact Bob",
        "a live customer has the e-mail of its contact Bob",
    )
    await set_duplicate_rule(admin, name=False, phone=True, email=False)
    await refused_with("a live customer has the mobile number of its contact Bob")
    # Eve's landline repeats nobody; with the rule off, Acme comes back as it was.
    await set_duplicate_rule(admin, name=False, phone=False, email=False)
    back = await result(admin, RESTORE_CUSTOMER, id=acme["id"])
    assert back["__typename"] == "CustomerSuccess", back
    assert await bin_names(admin) == []
    assert await count(services, Customer) == 3
