"""Customers (F2.1, F2.2, F2.6, F2.7, F2.12): entry with form rules and pool placement,
edits, lists and search within the caller's scope, and the recycle bin."""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    String,
    exists,
    func,
    literal,
    or_,
    select,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from gql_crm.auth.permissions import Module, record_codes
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.base import UTCDateTime, core_table
from gql_crm.db.bulk import among, batch_size
from gql_crm.db.models import (
    AttachmentRecordType,
    Contact,
    Customer,
    CustomerKind,
    CustomerShare,
    FormName,
    MaturityOption,
    OptionItem,
    OptionList,
    Order,
    Pool,
    SystemSettings,
    TemporaryOrigin,
)
from gql_crm.db.pagination import SortKey
from gql_crm.db.scopes import scope_filter
from gql_crm.services import files, recycle_bin, statistics_rollup, webhook
from gql_crm.services.contact import (
    ContactFields,
    add_contacts,
    contact_of,
    contact_problems,
    create_contact,
    delete_contact,
    update_contact,
)
from gql_crm.services.errors import Conflict, NotFound, Problems
from gql_crm.services.option import FormSettings, form_settings
from gql_crm.services.pool import (
    admit,
    can_manage,
    customer_event,
    holding,
    pool_for_maturity,
)
from gql_crm.services.setting import get_settings
from gql_crm.services.unit_of_work import UnitOfWork, diff
from gql_crm.services.validation import text_problem

CUSTOMER_VIEW, CUSTOMER_CREATE, CUSTOMER_EDIT, CUSTOMER_DELETE = record_codes(Module.CUSTOMER)
ENTITY = "customer"


@dataclass(frozen=True, slots=True)
class CustomerFields:
    kind: CustomerKind
    name: str
    short_name: str | None = None
    acquired_on: date | None = None
    category_id: int | None = None
    source_id: int | None = None
    status_id: int | None = None
    industry_id: int | None = None
    maturity_id: int | None = None
    city: str | None = None
    address: str | None = None
    website: str | None = None
    remarks: str | None = None
    contacts: tuple[ContactFields, ...] = field(default=())


REMARKS_LIMIT = 5000  # remarks are a Text column: the form limits them


def _limit(name: str) -> int:
    """A text field's limit: its column's length, as the model states it (remarks: the
    form's)."""
    kind = core_table(Customer).c[name].type
    return kind.length if isinstance(kind, String) and kind.length else REMARKS_LIMIT


_NAME_LIMIT = _limit("name")
_TEXT_LIMITS = {
    name: _limit(name) for name in ("short_name", "city", "address", "website", "remarks")
}
# The customer fields that name an option, and the list it must be in.
OPTION_FIELDS = {
    "category_id": OptionList.CATEGORY,
    "source_id": OptionList.SOURCE,
    "status_id": OptionList.STATUS,
    "industry_id": OptionList.INDUSTRY,
}
_FORM_NAMES = {
    "short_name": "shortName",
    "acquired_on": "acquiredOn",
    "category_id": "categoryId",
    "source_id": "sourceId",
    "status_id": "statusId",
    "maturity_id": "maturityId",
    "industry_id": "industryId",
    "city": "city",
    "address": "address",
    "website": "website",
    "remarks": "remarks",
}


def _values(fields: CustomerFields) -> dict[str, object]:
    values: dict[str, object] = {"kind": fields.kind, "name": fields.name.strip()}
    for name in _FORM_NAMES:
        value = getattr(fields, name)
        values[name] = value.strip() or None if isinstance(value, str) else value
    return values


def entry_form(kind: CustomerKind) -> FormName:
    """The entry form of a kind of customer: its fields and their settings."""
    return FormName.INDIVIDUAL if kind is CustomerKind.INDIVIDUAL else FormName.COMPANY


@dataclass(frozen=True, slots=True)
class FormRules:
    """What checking a customer needs from the database, read once (an import checks
    thousands of rows against it)."""

    option_lists: dict[int, OptionList]
    maturity_pools: dict[int, Pool]
    forms: dict[FormName, FormSettings]

    @property
    def contact_form(self) -> FormSettings:
        return self.forms[FormName.CONTACT]


async def form_rules(session: AsyncSession) -> FormRules:
    options = await session.execute(select(OptionItem.id, OptionItem.list))
    maturities = await session.execute(select(MaturityOption.id, MaturityOption.pool))
    forms = (FormName.COMPANY, FormName.INDIVIDUAL, FormName.CONTACT)
    return FormRules(
        option_lists={option_id: OptionList(kind) for option_id, kind in options},
        maturity_pools={maturity_id: Pool(pool) for maturity_id, pool in maturities},
        forms={form: await form_settings(session, form) for form in forms},
    )


def customer_problems(
    fields: CustomerFields, rules: FormRules, problems: Problems, given: Collection[str] = ()
) -> None:
    """Every rule a customer's fields break (the declared input limits aside), against its
    kind's form: a value for a field the form does not have or hides (of those ``given``) is
    refused, a required one must be there."""
    if p := text_problem(fields.name, max_length=_NAME_LIMIT):
        problems.add("name", p)
    for name, limit in _TEXT_LIMITS.items():
        value = getattr(fields, name)
        if value is not None and (p := text_problem(value, max_length=limit, required=False)):
            problems.add(_FORM_NAMES[name], p)
    for name, option_list in OPTION_FIELDS.items():
        option_id = getattr(fields, name)
        if option_id is not None and rules.option_lists.get(option_id) is not option_list:
            problems.add(_FORM_NAMES[name], f"option {option_id} is not in the {option_list} list")
    if fields.maturity_id is not None and fields.maturity_id not in rules.maturity_pools:
        problems.add("maturityId", f"maturity option {fields.maturity_id} does not exist")
    form = entry_form(fields.kind)
    settings = rules.forms[form]
    for python_name, name in _FORM_NAMES.items():
        value = getattr(fields, python_name)  # blank text counts as none, as ``_values`` has it
        if value is None or (isinstance(value, str) and not value.strip()):
            if name in settings.required:
                problems.add(name, f"is required by the {form} form settings")
        elif python_name in given:
            if name not in settings.fields:
                problems.add(name, f"is not a field of {fields.kind} customers")
            elif name in settings.hidden:
                problems.add(name, f"is hidden by the {form} form settings")


def pool_of(rules: FormRules, maturity_id: int | None) -> Pool:
    """The pool a new customer of this maturity enters (none: public)."""
    return Pool.PUBLIC if maturity_id is None else rules.maturity_pools[maturity_id]


def new_customer_values(
    fields: CustomerFields, pool: Pool, owner_id: int | None, author_id: int, now: datetime
) -> dict[str, Any]:
    """The columns of a customer entered with ``fields`` into ``pool``."""
    return {
        **_values(fields),
        "owner_id": owner_id,
        "pool": pool,
        "pool_entered_at": now,
        "temporary_origin": TemporaryOrigin.ENTERED if pool is Pool.TEMPORARY else None,
        "created_by_id": author_id,
        "created_at": now,
        "updated_at": now,
    }


async def _check(
    uow: UnitOfWork, fields: CustomerFields, problems: Problems, given: Collection[str] = ()
) -> None:
    customer_problems(fields, await form_rules(uow.session), problems, given)


# ---- duplicates ----------------------------------------------------------------------------


class Same(enum.StrEnum):
    """What may make two customers the same; the system settings choose which do
    (``duplicate_customers_by_…``), and a customer that repeats a live one by any of them is
    refused, by the customer mutations and by imports alike."""

    NAME = "name"  # the customer's name, in any case
    PHONE = "phone"  # a contact's mobile or phone number, its digits
    EMAIL = "email"  # a contact's e-mail, in any case


_SAME_AS = {Same.NAME: "name", Same.PHONE: "phone number", Same.EMAIL: "e-mail"}
EXISTS_ALREADY = {
    same: f"a customer with this {what} exists already" for same, what in _SAME_AS.items()
}


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    same: Same
    value: str  # as compared: lower case, or a number's digits
    field: str  # the input field it comes from ("name", "contacts[0].mobile")

    def repeats(self, row: int) -> str:
        return f"duplicates the customer of row {row} (the same {_SAME_AS[self.same]})"


def duplicate_rule(settings: SystemSettings) -> frozenset[Same]:
    return frozenset(same for same in Same if getattr(settings, f"duplicate_customers_by_{same}"))


def duplicate_keys(
    rule: Collection[Same], name: str | None, contacts: Any, prefix: str = "contacts"
) -> list[DuplicateKey]:
    """What identifies a customer of this name (None: leave the name out) and ``contacts``
    (``ContactFields`` or contacts) under ``rule``."""
    keys = []
    if Same.NAME in rule and name is not None and name.strip():
        keys.append(DuplicateKey(Same.NAME, name.strip().lower(), "name"))
    for index, contact in enumerate(contacts):
        at = f"{prefix}[{index}]." if prefix else ""
        if Same.PHONE in rule:
            for column in ("mobile", "phone"):
                digits = "".join(c for c in getattr(contact, column) or "" if c.isdigit())
                if digits:
                    keys.append(DuplicateKey(Same.PHONE, digits, f"{at}{column}"))
        if Same.EMAIL in rule and contact.email and contact.email.strip():
            keys.append(DuplicateKey(Same.EMAIL, contact.email.strip().lower(), f"{at}email"))
    return keys


def _digits(column: Any) -> ColumnElement[str]:
    """A phone column's digits (the characters a number may hold besides, removed)."""
    expression = column
    for character in " -()+":
        expression = func.replace(expression, character, "")
    return expression  # type: ignore[no-any-return]


async def existing_duplicates(
    session: AsyncSession, keys: Iterable[DuplicateKey]
) -> dict[tuple[Same, str], set[int]]:
    """The live customers that have each of the keys already, looked up a batch of keys at
    a time (``batch_size``: 10,000 per statement on PostgreSQL) as they come."""
    found: dict[tuple[Same, str], set[int]] = {}
    pending: dict[Same, list[str]] = {}
    size = batch_size(session)

    async def look(same: Same, values: list[str]) -> None:
        columns: list[ColumnElement[Any]]
        if same is Same.NAME:
            columns = [func.lower(Customer.name)]
        elif same is Same.PHONE:
            columns = [_digits(Contact.mobile), _digits(Contact.phone)]
        else:
            columns = [func.lower(Contact.email)]
        stmt = select(Customer.id, *columns).where(
            Customer.deleted_at.is_(None), or_(*(among(session, c, values) for c in columns))
        )
        if same is not Same.NAME:
            stmt = stmt.select_from(Contact).join(Customer, Customer.id == Contact.customer_id)
        # One column: every value found was asked for; two (phones): either may match.
        asked = set(values) if len(columns) > 1 else None
        for customer_id, *row in await session.execute(stmt):
            for value in row:
                if asked is None or value in asked:
                    found.setdefault((same, value), set()).add(customer_id)

    for key in keys:
        values = pending.setdefault(key.same, [])
        values.append(key.value)
        if len(values) == size:
            await look(key.same, values)
            pending[key.same] = []
    for same, values in pending.items():
        if values:
            await look(same, values)
    return found


async def duplicate_problems(
    session: AsyncSession,
    keys: list[DuplicateKey],
    problems: Problems,
    excluding: int | None = None,
) -> None:
    """A problem for each key (``duplicate_keys``) that a live customer (other than
    ``excluding``) has already."""
    if not keys:
        return
    taken = await existing_duplicates(session, keys)
    for key in keys:
        if taken.get((key.same, key.value), set()) - {excluding}:
            problems.add(key.field, EXISTS_ALREADY[key.same])


_CONTACT_FIELD_NAMES = {"mobile": "mobile number", "phone": "phone number", "email": "e-mail"}


async def restore_duplicates(
    session: AsyncSession, settings: SystemSettings, customer: Customer
) -> list[str]:
    """What of a binned customer a live customer has meanwhile (its name, a contact's number
    or e-mail, as the rule says), one phrase each; restoring it then would make a duplicate.

    Only entering, renaming, contacts and restoring can make a duplicate: claims, transfers,
    releases and shares move live customers, which the rule has compared already."""
    rule = duplicate_rule(settings)
    named = [(key, "its name") for key in duplicate_keys(rule, customer.name, ())]
    if rule - {Same.NAME}:
        contacts = await session.scalars(
            select(Contact).where(Contact.customer_id == customer.id).order_by(Contact.id)
        )
        for contact in contacts:
            for key in duplicate_keys(rule, None, [contact], ""):
                what = _CONTACT_FIELD_NAMES[key.field]
                named.append((key, f"the {what} of its contact {contact.name}"))
    if not named:
        return []
    taken = await existing_duplicates(session, (key for key, _ in named))
    return [
        f"a live customer has {phrase}"
        for key, phrase in named
        if taken.get((key.same, key.value), set()) - {customer.id}
    ]


# ---- reading -------------------------------------------------------------------------------


class CustomerView(enum.StrEnum):
    """The customer lists of the manual (F2.6)."""

    ALL = "all"  # everything the caller may see
    MINE = "mine"
    SUBORDINATES = "subordinates"
    SHARED = "shared"
    PUBLIC = "public"
    SPECIAL = "special"
    CLOSED_WON = "closed_won"


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    view: CustomerView = CustomerView.ALL
    pool: Pool | None = None
    kind: CustomerKind | None = None
    category_id: int | None = None
    source_id: int | None = None
    status_id: int | None = None
    industry_id: int | None = None
    maturity_id: int | None = None
    owner_id: int | None = None
    search: str | None = None


def _view_clause(principal: Principal, view: CustomerView) -> ColumnElement[bool] | None:
    me = principal.user_id
    match view:
        case CustomerView.MINE:
            return Customer.owner_id == me
        case CustomerView.SUBORDINATES:
            return scope_filter(principal, Customer.owner_id) & (Customer.owner_id != me)
        case CustomerView.SHARED:
            return exists().where(
                CustomerShare.customer_id == Customer.id, CustomerShare.user_id == me
            )
        case CustomerView.PUBLIC:
            return Customer.pool == Pool.PUBLIC
        case CustomerView.SPECIAL:
            return Customer.pool == Pool.SPECIAL
        case CustomerView.CLOSED_WON:
            return Customer.closed_won_at.is_not(None)
    return None


def search_clause(principal: Principal, term: str) -> ColumnElement[bool]:
    """Company name, short name, or a contact's name, phone, mobile or e-mail contains term.

    Phones and e-mails are searched only where the caller sees them unmasked: otherwise a
    search would reveal a masked number digit by digit. Written as a UNION of one lookup per
    table, not one OR across tables, so that PostgreSQL uses each trigram index.
    """

    def like(column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
        return column.icontains(term, autoescape=True)

    by_company = select(Customer.id).where(or_(like(Customer.name), like(Customer.short_name)))
    by_contact_name = select(Contact.customer_id).where(like(Contact.name))
    by_contact_details = (
        select(Contact.customer_id)
        .join(Customer, Customer.id == Contact.customer_id)
        .where(
            or_(like(Contact.mobile), like(Contact.phone), like(Contact.email)),
            visibility.contact_details(principal),
        )
    )
    return Customer.id.in_(union(by_company, by_contact_name, by_contact_details))


def customer_query(principal: Principal, filters: CustomerFilter) -> Select[Customer]:
    """Visible customers matching every given filter."""
    principal.require(CUSTOMER_VIEW)
    stmt = select(Customer).where(visibility.customer(principal))
    if (clause := _view_clause(principal, filters.view)) is not None:
        stmt = stmt.where(clause)
    if filters.pool is not None:
        stmt = stmt.where(holding(filters.pool))
    for name in (
        "kind",
        "category_id",
        "source_id",
        "status_id",
        "industry_id",
        "maturity_id",
        "owner_id",
    ):
        value = getattr(filters, name)
        if value is not None:
            stmt = stmt.where(getattr(Customer, name) == value)
    if filters.search and filters.search.strip():
        stmt = stmt.where(search_clause(principal, filters.search.strip()))
    return stmt


# Sort orders of the lists; empty dates sort as the earliest, so keyset cursors stay defined.
SORT_COLUMNS: dict[str, ColumnElement[Any]] = {
    "name": Customer.name.expression,
    "created_at": Customer.created_at.expression,
    "acquired_on": func.coalesce(Customer.acquired_on, literal(date(1900, 1, 1), Date())),
    "last_follow_up_at": func.coalesce(
        Customer.last_follow_up_at, literal(datetime(1900, 1, 1, tzinfo=UTC), UTCDateTime())
    ),
}


def sort_keys(field: str, descending: bool) -> list[SortKey]:
    """A list's order by one of SORT_COLUMNS, ties broken by id the same way."""
    return [SortKey(SORT_COLUMNS[field], descending), SortKey(Customer.id, descending)]


def recycle_bin_query(principal: Principal) -> tuple[Select[Customer], list[SortKey]]:
    """Customers the caller deleted and may still see (what they may restore or purge), and
    their order: latest deleted first."""
    stmt = select(Customer).where(visibility.binned_customer(principal))
    return stmt, list(recycle_bin.latest_first(Customer))


# ---- writing -------------------------------------------------------------------------------


async def is_visible(uow: UnitOfWork, customer: Customer) -> bool:
    """``visibility.customer`` for one loaded customer."""
    if customer.deleted_at is not None:
        return False
    principal = uow.principal
    if visibility.customer_visible(principal, customer.pool, customer.owner_id, shared=False):
        return True
    return await uow.session.get(CustomerShare, (customer.id, principal.user_id)) is not None


async def managed_customer(uow: UnitOfWork, customer_id: int) -> Customer:
    """A live customer the caller may edit; invisible ones are 'not found', visible but
    foreign ones a conflict naming why."""
    customer = await uow.session.get(Customer, customer_id, with_for_update=True)
    if customer is None or customer.deleted_at is not None:
        raise NotFound("Customer", customer_id)
    if not can_manage(uow.principal, customer):
        if not await is_visible(uow, customer):
            raise NotFound("Customer", customer_id)
        raise Conflict(
            "Only the owner, their managers or an administrator may change this customer; "
            "claim it first if it is in a pool.",
            "id",
        )
    return customer


async def managed_contact(uow: UnitOfWork, contact_id: int) -> Contact:
    """A contact of a customer the caller may edit. A contact of a customer the caller may
    not see is 'not found' exactly as a missing contact: nothing names its customer."""
    contact = await contact_of(uow, contact_id)
    try:
        await managed_customer(uow, contact.customer_id)
    except NotFound as hidden:
        raise NotFound("Contact", contact_id) from hidden
    return contact


async def add_contact(uow: UnitOfWork, customer_id: int, input: dict[str, Any]) -> Contact:
    """A new contact of a customer the caller may edit; its numbers and e-mail must not
    make the customer repeat another (the duplicate rule)."""
    customer = await managed_customer(uow, customer_id)
    fields = ContactFields(**input)
    await _refuse_duplicate_contact(uow, customer.id, fields, None)
    return await create_contact(uow, customer, fields)


async def edit_contact(uow: UnitOfWork, id: int, input: dict[str, Any]) -> Contact:
    contact = await managed_contact(uow, id)
    fields = ContactFields(**input)
    await _refuse_duplicate_contact(uow, contact.customer_id, fields, contact)
    return await update_contact(uow, contact, fields)


async def _refuse_duplicate_contact(
    uow: UnitOfWork, customer_id: int, fields: ContactFields, before: Contact | None
) -> None:
    """The duplicate rule for the values a contact gains (those it had are not news)."""
    rule = duplicate_rule(await get_settings(uow.session))
    had = {(k.same, k.value) for k in duplicate_keys(rule, None, [before] if before else [])}
    new = [k for k in duplicate_keys(rule, None, [fields], "") if (k.same, k.value) not in had]
    problems = Problems()
    await duplicate_problems(uow.session, new, problems, excluding=customer_id)
    problems.raise_if_any()


async def remove_contact(uow: UnitOfWork, id: int) -> int:
    """A deleted primary contact passes the flag to the oldest remaining one."""
    return await delete_contact(uow, await managed_contact(uow, id))


async def create_customer(
    uow: UnitOfWork, settings: SystemSettings, fields: CustomerFields
) -> Customer:
    """Enter a customer; its maturity decides its pool (none: public)."""
    principal = uow.principal
    problems = Problems()
    await _check(uow, fields, problems, given=_FORM_NAMES)
    await contact_problems(uow.session, list(fields.contacts), problems, prefix="contacts")
    keys = duplicate_keys(duplicate_rule(settings), fields.name, fields.contacts)
    await duplicate_problems(uow.session, keys, problems)
    problems.raise_if_any()

    pool = await pool_for_maturity(uow.session, fields.maturity_id)
    owner_id = None
    if pool in (Pool.PRIVATE, Pool.TEMPORARY):
        owner_id = (await admit(uow, settings, principal.user_id, {pool: 1})).id
    customer = Customer(**new_customer_values(fields, pool, owner_id, principal.user_id, uow.now))
    uow.session.add(customer)
    await uow.session.flush()
    await add_contacts(uow, customer, list(fields.contacts))
    uow.log(ENTITY, customer.id, "create", {"pool": [None, str(pool)], "ownerId": [None, owner_id]})
    customer_event(uow, customer, "customer.created")
    return customer


async def update_customer(
    uow: UnitOfWork, settings: SystemSettings, customer_id: int, changes: dict[str, Any]
) -> Customer:
    """Edit a customer: only the fields in ``changes`` (None clears one); a maturity change
    moves it between the owner's private and temporary pools (subject to caps), or to the
    public pool for a public grade."""
    customer = await managed_customer(uow, customer_id)
    problems = Problems()
    for name in ("kind", "name"):
        if name in changes and changes[name] is None:
            problems.add(name, "cannot be cleared")
    problems.raise_if_any()
    kept = {name: getattr(customer, name) for name in ("kind", "name", *_FORM_NAMES)}
    fields = CustomerFields(**{**kept, **changes})
    await _check(uow, fields, problems, given=changes)
    if fields.name.strip().lower() != customer.name.lower():  # a new name, checked as new
        keys = duplicate_keys(duplicate_rule(settings), fields.name, ())
        await duplicate_problems(uow.session, keys, problems, excluding=customer.id)
    problems.raise_if_any()

    values = _values(fields)
    before = {name: getattr(customer, name) for name in (*values, "pool", "owner_id")}
    if fields.maturity_id != customer.maturity_id and customer.owner_id is not None:
        target = await pool_for_maturity(uow.session, fields.maturity_id)
        if target is not customer.pool and customer.closed_won_at is None:
            await _move_for_maturity(uow, settings, customer, target)
    for name, value in values.items():
        setattr(customer, name, value)
    customer.updated_at = uow.now

    after = {name: getattr(customer, name) for name in before}
    changes = diff(before, after)
    pool_changes = {k: v for k, v in changes.items() if k in ("maturityId", "pool", "ownerId")}
    other_changes = {k: v for k, v in changes.items() if k not in pool_changes}
    if pool_changes:
        uow.log(ENTITY, customer.id, "change_pool", pool_changes)
        customer_event(uow, customer, "customer.updated")
    if other_changes:
        uow.log(ENTITY, customer.id, "update", other_changes)
    if changes:
        data = {"customerId": customer.id, "name": customer.name, "changed": sorted(changes)}
        webhook.record(uow, "customer.updated", data, customer.owner_id)
    return customer


async def _move_for_maturity(
    uow: UnitOfWork, settings: SystemSettings, customer: Customer, target: Pool
) -> None:
    assert customer.owner_id is not None
    if target in (Pool.PRIVATE, Pool.TEMPORARY):
        await admit(uow, settings, customer.owner_id, {target: 1})
        customer.temporary_origin = (
            (customer.temporary_origin or TemporaryOrigin.ENTERED)
            if target is Pool.TEMPORARY
            else None
        )
    else:
        customer.owner_id = None
        customer.temporary_origin = None
    customer.pool = target
    customer.pool_entered_at = uow.now


async def delete_customer(uow: UnitOfWork, customer_id: int) -> Customer:
    """Move a customer (with its contacts and follow-ups) to the caller's recycle bin."""
    customer = await managed_customer(uow, customer_id)
    await _orders_counted_again(uow, customer)
    recycle_bin.discard(uow, ENTITY, customer)
    customer_event(uow, customer, "customer.deleted")
    return customer


async def _orders_counted_again(uow: UnitOfWork, customer: Customer) -> None:
    """A customer's orders count for statistics only while it is out of the recycle bin."""
    orders = await statistics_rollup.orders_where(uow, Order.customer_id == customer.id)
    await statistics_rollup.changing(uow, orders)


async def _binned(uow: UnitOfWork, customer_id: int) -> Customer:
    reach = visibility.binned_customer(uow.principal)
    customer: Customer = await recycle_bin.binned(uow, Customer, customer_id, reach, "Customer")
    return customer


async def restore_customer(uow: UnitOfWork, settings: SystemSettings, customer_id: int) -> Customer:
    """Bring a customer back from the recycle bin exactly as it was (its owner's caps apply),
    unless a live customer now repeats it under the duplicate rule."""
    customer = await _binned(uow, customer_id)
    if repeats := await restore_duplicates(uow.session, settings, customer):
        raise Conflict(f"Customer {customer_id} cannot be restored: {'; '.join(repeats)}.", "id")
    if customer.owner_id is not None and customer.pool in (Pool.PRIVATE, Pool.TEMPORARY):
        arriving = 0 if customer.closed_won_at is not None else 1
        await admit(uow, settings, customer.owner_id, {customer.pool: arriving})
    await _orders_counted_again(uow, customer)
    recycle_bin.restore(uow, ENTITY, customer)
    customer_event(uow, customer, "customer.restored")
    return customer


async def purge_customer(uow: UnitOfWork, customer_id: int) -> int:
    """Remove a customer from the recycle bin for good, with everything that hangs on it."""
    customer = await _binned(uow, customer_id)
    orders = select(Order.id).where(Order.customer_id == customer_id)
    await files.purge_attachments(uow, AttachmentRecordType.ORDER, orders)
    await files.purge_attachments(uow, AttachmentRecordType.CUSTOMER, [customer_id])
    return await recycle_bin.purge(uow, ENTITY, customer, {"name": [customer.name, None]})


async def customer_for_sales(uow: UnitOfWork, customer_id: int) -> Customer:
    """A customer the caller may sell to: visible to them and not sitting in a pool.

    Invisible (or deleted) customers are 'not found'; public and special pool customers must
    be claimed first. The row is locked: orders change its closed-won state.
    """
    customer = await uow.session.scalar(
        select(Customer)
        .where(Customer.id == customer_id, visibility.customer(uow.principal))
        .with_for_update(of=Customer)
    )
    if customer is None:
        raise NotFound("Customer", customer_id, "customerId")
    if customer.pool in (Pool.PUBLIC, Pool.SPECIAL):
        raise Conflict(
            f"Customer {customer_id} is in the {customer.pool} pool; claim it first.",
            "customerId",
        )
    return customer
