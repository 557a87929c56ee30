"""Contacts of a customer (F2.1): at most one primary contact, validated against the form."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.permissions import Module, record_codes
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.models import Contact, Customer, FormName
from gql_crm.db.pagination import SortKey
from gql_crm.services.errors import InvalidInput, NotFound, Problems
from gql_crm.services.option import FormSettings, form_settings
from gql_crm.services.unit_of_work import UnitOfWork
from gql_crm.services.validation import email_problem, phone_problem, text_problem

CONTACT_VIEW, CONTACT_CREATE, CONTACT_EDIT, CONTACT_DELETE = record_codes(Module.CONTACT)
GENDERS = ("male", "female", "other")


@dataclass(frozen=True, slots=True)
class ContactFields:
    name: str
    gender: str | None = None
    mobile: str | None = None
    phone: str | None = None
    email: str | None = None
    title: str | None = None
    is_primary: bool = False


def _clean(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _values(fields: ContactFields) -> dict[str, object]:
    return {
        "name": fields.name.strip(),
        "gender": _clean(fields.gender),
        "mobile": _clean(fields.mobile),
        "phone": _clean(fields.phone),
        "email": _clean(fields.email),
        "title": _clean(fields.title),
        "is_primary": fields.is_primary,
    }


contact_values = _values  # the columns of a contact with these fields


async def contact_problems(
    session: AsyncSession, contacts: list[ContactFields], problems: Problems, prefix: str
) -> None:
    """Check contacts against the rules and the contact form settings."""
    contact_rule_problems(
        contacts, await form_settings(session, FormName.CONTACT), problems, prefix
    )


def contact_rule_problems(
    contacts: list[ContactFields], form: FormSettings, problems: Problems, prefix: str
) -> None:
    """``contact_problems`` with the contact form's settings already read."""
    required, hidden = form.required, form.hidden
    for index, contact in enumerate(contacts):
        at = f"{prefix}[{index}]." if prefix else ""
        if p := text_problem(contact.name, max_length=100):
            problems.add(f"{at}name", p)
        if p := phone_problem(contact.mobile):
            problems.add(f"{at}mobile", p)
        if p := phone_problem(contact.phone):
            problems.add(f"{at}phone", p)
        if p := email_problem(contact.email):
            problems.add(f"{at}email", p)
        if contact.title is not None and (
            p := text_problem(contact.title, max_length=100, required=False)
        ):
            problems.add(f"{at}title", p)
        if contact.gender is not None and contact.gender not in GENDERS:
            problems.add(f"{at}gender", f"must be one of {', '.join(GENDERS)}")
        if required or hidden:
            values = _values(contact)
            for name in sorted(required):
                if values.get(name) is None:
                    problems.add(f"{at}{name}", "is required by the contact form settings")
            for name in sorted(hidden):
                if values.get(name) is not None:
                    problems.add(f"{at}{name}", "is hidden by the contact form settings")
    if sum(1 for c in contacts if c.is_primary) > 1:
        problems.add(prefix or "isPrimary", "a customer has at most one primary contact")


async def add_contacts(uow: UnitOfWork, customer: Customer, contacts: list[ContactFields]) -> None:
    """Add already-checked contacts; the first becomes primary when none is marked."""
    has_primary = any(c.is_primary for c in contacts)
    for index, fields in enumerate(contacts):
        values = _values(fields)
        if not has_primary and index == 0:
            values["is_primary"] = not await _has_primary(uow, customer.id)
        uow.session.add(
            Contact(customer_id=customer.id, created_at=uow.now, updated_at=uow.now, **values)
        )
    await uow.session.flush()


async def _has_primary(uow: UnitOfWork, customer_id: int) -> bool:
    stmt = select(Contact.id).where(
        Contact.customer_id == customer_id, Contact.is_primary.is_(True)
    )
    return await uow.session.scalar(stmt) is not None


async def _clear_primary(uow: UnitOfWork, customer_id: int) -> None:
    await uow.session.execute(
        update(Contact)
        .where(Contact.customer_id == customer_id, Contact.is_primary.is_(True))
        .values(is_primary=False)
        .execution_options(synchronize_session="fetch")
    )
    await uow.session.flush()


async def create_contact(uow: UnitOfWork, customer: Customer, fields: ContactFields) -> Contact:
    problems = Problems()
    await contact_problems(uow.session, [fields], problems, prefix="")
    problems.raise_if_any()
    if fields.is_primary:
        await _clear_primary(uow, customer.id)
    values = _values(fields)
    if not fields.is_primary:
        values["is_primary"] = not await _has_primary(uow, customer.id)
    contact = Contact(customer_id=customer.id, created_at=uow.now, updated_at=uow.now, **values)
    uow.session.add(contact)
    await uow.session.flush()
    uow.log(
        "contact",
        contact.id,
        "create",
        {"customerId": [None, customer.id], "name": [None, contact.name]},
    )
    return contact


async def contact_of(uow: UnitOfWork, contact_id: int) -> Contact:
    contact = await uow.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("Contact", contact_id)
    return contact


async def update_contact(uow: UnitOfWork, contact: Contact, fields: ContactFields) -> Contact:
    problems = Problems()
    await contact_problems(uow.session, [fields], problems, prefix="")
    problems.raise_if_any()
    if fields.is_primary and not contact.is_primary:
        await _clear_primary(uow, contact.customer_id)
        await uow.session.refresh(contact)
    if contact.is_primary and not fields.is_primary:
        raise InvalidInput.single(
            "isPrimary", "make another contact primary instead of un-marking the primary one"
        )
    uow.apply("contact", contact, _values(fields))
    return contact


async def delete_contact(uow: UnitOfWork, contact: Contact) -> int:
    """Delete a contact; if it was primary, the oldest remaining contact becomes primary."""
    was_primary, customer_id, contact_id = contact.is_primary, contact.customer_id, contact.id
    await uow.session.delete(contact)
    await uow.session.flush()
    if was_primary:
        successor = await uow.session.scalar(
            select(Contact).where(Contact.customer_id == customer_id).order_by(Contact.id).limit(1)
        )
        if successor is not None:
            successor.is_primary = True
    uow.log("contact", contact_id, "delete", {"customerId": [customer_id, None]})
    return contact_id


# ---- the list of every contact the caller may see --------------------------------------


class ContactSort(enum.StrEnum):
    NAME = "name"
    CREATED_AT = "created_at"


_SORT_COLUMNS: dict[ContactSort, ColumnElement[Any]] = {
    ContactSort.NAME: Contact.name.expression,
    ContactSort.CREATED_AT: Contact.created_at.expression,
}


def contact_sort_keys(field: ContactSort, descending: bool) -> list[SortKey]:
    """The list's order by ``field``, ties broken by id the same way."""
    return [SortKey(_SORT_COLUMNS[field], descending), SortKey(Contact.id, descending)]


@dataclass(frozen=True, slots=True)
class ContactFilter:
    customer_id: int | None = None
    owner_id: int | None = None  # the customer's owner
    is_primary: bool | None = None
    search: str | None = None


def contact_query(principal: Principal, filter: dict[str, Any] | None) -> Select[Contact]:
    """Contacts of the customers the caller may see. ``search`` matches name and title, and
    phones and e-mails only where the caller sees them unmasked (a search must not reveal a
    masked number digit by digit)."""
    filters = ContactFilter(**(filter or {}))
    stmt = select(Contact).where(visibility.contact(principal))
    if filters.customer_id is not None:
        stmt = stmt.where(Contact.customer_id == filters.customer_id)
    if filters.is_primary is not None:
        stmt = stmt.where(Contact.is_primary.is_(filters.is_primary))
    if filters.owner_id is not None:
        stmt = stmt.where(
            exists().where(
                Customer.id == Contact.customer_id, Customer.owner_id == filters.owner_id
            )
        )
    if term := (filters.search or "").strip():

        def like(column: Any) -> ColumnElement[bool]:
            return column.icontains(term, autoescape=True)  # type: ignore[no-any-return]

        unmasked = exists().where(
            Customer.id == Contact.customer_id, visibility.contact_details(principal)
        )
        stmt = stmt.where(
            or_(
                like(Contact.name),
                like(Contact.title),
                and_(or_(like(Contact.mobile), like(Contact.phone), like(Contact.email)), unmasked),
            )
        )
    return stmt
