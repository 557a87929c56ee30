"""Exports (F11): one registry entry per kind, each a query whose labelled columns are the
sheet's; the job streams it in batches into a write-only workbook, so memory stays flat.

To add an export, register its query once::

    @exporter("sales_report", permission=STATISTICS_EXPORT, title="Sales report")
    def sales_report(principal: Principal, parameters: dict[str, Any]) -> Any:
        return select(User.name.label("Salesperson"), ...)

It is then a value of ``ExportKind`` in the schema (its name in upper case), checked against
``permission``, run by the same job, and downloadable the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from gql_crm.auth.masking import MASKS
from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.masking import sensitive_columns
from gql_crm.db.models import (
    Contact,
    Customer,
    MaturityOption,
    OptionItem,
    Order,
    PaymentRecord,
    Refund,
    User,
)
from gql_crm.db.models.job import Job, JobKind
from gql_crm.services import customer as customer_service
from gql_crm.services.job import (
    JobRun,
    Outcome,
    file_path,
    handler,
    new_key,
    prepare_dir,
    start,
)
from gql_crm.services.unit_of_work import UnitOfWork
from gql_crm.services.workbook import (
    CONTACT_COLUMNS,
    CUSTOMER_COLUMNS,
    CUSTOMER_NAME_COLUMN,
    KIND_COLUMN,
    cell,
)

BATCH = 2000
DETAILS = "_details"  # a query's column: whether the caller sees this row's contact details


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


Query = Callable[[Principal, dict[str, Any]], Any]  # a Select with labelled columns


@dataclass(frozen=True, slots=True)
class Exporter:
    kind: str
    title: str  # the sheet's and the file's name
    description: str
    permission: str
    query: Query


EXPORTERS: dict[str, Exporter] = {}
# Headers of sensitive columns, and their masks (as the contact columns declare them).
SENSITIVE = {
    column.label: mask
    for column in CONTACT_COLUMNS
    if (mask := sensitive_columns(Contact).get(_snake(column.field)))
}


def exporter(
    kind: str, *, permission: str, title: str, description: str
) -> Callable[[Query], Query]:
    """Register ``query`` as the export ``kind`` (see the module)."""

    def register(query: Query) -> Query:
        EXPORTERS[kind] = Exporter(kind, title, description, permission, query)
        handler(JobKind.EXPORT, kind)(_export)
        return query

    return register


async def _export(run: JobRun) -> Outcome:
    found = EXPORTERS[run.subject]
    run.principal.require(found.permission)  # rights are those of now, not of the request
    stmt = found.query(run.principal, run.parameters)
    names = [column.name for column in stmt.selected_columns]
    written = [i for i, name in enumerate(names) if not name.startswith("_")]
    headers = [names[i] for i in written]
    # Sensitive columns are masked here, the way the screen masks them, unless the row's
    # DETAILS column says the caller sees them in full.
    flag = names.index(DETAILS) if DETAILS in names else None
    masks = {i: MASKS[SENSITIVE[name]] for i, name in enumerate(names) if name in SENSITIVE}
    database = run.services.database
    async with database.reader() as session:
        total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    await run.progress(0, total)

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(found.title)
    sheet.append(headers)
    done = 0
    async with database.reader() as session:
        result = await session.stream(stmt.execution_options(yield_per=BATCH))
        async for batch in result.partitions(BATCH):
            for row in batch:
                values = list(row)
                if flag is not None and not values[flag]:
                    for index, masker in masks.items():
                        values[index] = masker(values[index])
                sheet.append([cell(values[i]) for i in written])
            done += len(batch)
            await run.progress(done, total)
    prepare_dir(run.services.settings)
    key = new_key()
    await asyncio.to_thread(workbook.save, file_path(run.services.settings, key))
    name = f"{found.title}.xlsx"
    return Outcome(True, done, result_key=key, result_name=name)


def _label(column: Any, header: str) -> Any:
    return column.label(header)


def _customer_columns(principal: Principal) -> tuple[list[Any], Any]:
    """The customer and contact columns under the headers an import reads, with the option
    lists' labels, and the joins they need."""
    options = {name: aliased(OptionItem) for name in ("category", "source", "status", "industry")}
    owner = aliased(User)
    labels = {c.field: c.label for c in CUSTOMER_COLUMNS}
    contact_labels = {c.field: c.label for c in CONTACT_COLUMNS}
    columns = [
        _label(Customer.name, labels["name"]),
        _label(Customer.kind, KIND_COLUMN.label),
        _label(Customer.short_name, labels["shortName"]),
        _label(Customer.acquired_on, labels["acquiredOn"]),
        _label(options["category"].label, labels["categoryId"]),
        _label(options["source"].label, labels["sourceId"]),
        _label(options["status"].label, labels["statusId"]),
        _label(MaturityOption.label, labels["maturityId"]),
        _label(options["industry"].label, labels["industryId"]),
        _label(Customer.city, labels["city"]),
        _label(Customer.address, labels["address"]),
        _label(Customer.website, labels["website"]),
        _label(Customer.remarks, labels["remarks"]),
        _label(Contact.name, contact_labels["name"]),
        _label(Contact.gender, contact_labels["gender"]),
        _label(Contact.mobile, contact_labels["mobile"]),
        _label(Contact.phone, contact_labels["phone"]),
        _label(Contact.email, contact_labels["email"]),
        _label(Contact.title, contact_labels["title"]),
        _label(Customer.pool, "Pool"),
        _label(owner.name, "Owner"),
        _label(Customer.created_at, "Created at (UTC)"),
        _label(visibility.contact_details(principal), DETAILS),
    ]

    def joined(stmt: Select[Any]) -> Any:
        stmt = stmt.select_from(Customer).outerjoin(Contact, Contact.customer_id == Customer.id)
        for name, alias in options.items():
            stmt = stmt.outerjoin(alias, alias.id == getattr(Customer, f"{name}_id"))
        stmt = stmt.outerjoin(MaturityOption, MaturityOption.id == Customer.maturity_id)
        return stmt.outerjoin(owner, owner.id == Customer.owner_id)

    return columns, joined


@exporter(
    "customers",
    permission=basic(Module.CUSTOMER, Action.EXPORT),
    title="Customers",
    description="Customers of a list view and filter you may use, one row per contact (phones "
    "and e-mails masked as on screen); the sheet imports again as it is.",
)
def customers(principal: Principal, parameters: dict[str, Any]) -> Any:
    filters = customer_service.CustomerFilter(**customer_filter(parameters))
    columns, joined = _customer_columns(principal)
    stmt = customer_service.customer_query(principal, filters).with_only_columns(*columns)
    return joined(stmt).order_by(Customer.id, Contact.is_primary.desc(), Contact.id)


def customer_filter(parameters: dict[str, Any]) -> dict[str, Any]:
    """A stored customer filter (JSON) as ``CustomerFilter`` takes it."""
    from gql_crm.db.models import CustomerKind, Pool

    values = dict(parameters.get("filter") or {})
    if values.get("view") is not None:
        values["view"] = customer_service.CustomerView(values["view"])
    if values.get("pool") is not None:
        values["pool"] = Pool(values["pool"])
    if values.get("kind") is not None:
        values["kind"] = CustomerKind(values["kind"])
    return values


@exporter(
    "contacts",
    permission=basic(Module.CONTACT, Action.EXPORT),
    title="Contacts",
    description="Contacts of the customers you may see (phones and e-mails masked as on screen).",
)
def contacts(principal: Principal, parameters: dict[str, Any]) -> Any:
    labels = {c.field: c.label for c in CONTACT_COLUMNS}
    return (
        select(
            Customer.name.label(CUSTOMER_NAME_COLUMN.label),
            Contact.name.label(labels["name"]),
            Contact.gender.label(labels["gender"]),
            Contact.mobile.label(labels["mobile"]),
            Contact.phone.label(labels["phone"]),
            Contact.email.label(labels["email"]),
            Contact.title.label(labels["title"]),
            Contact.is_primary.label("Primary"),
            visibility.contact_details(principal).label(DETAILS),
        )
        .join(Customer, Customer.id == Contact.customer_id)
        .where(visibility.customer(principal))
        .order_by(Customer.id, Contact.is_primary.desc(), Contact.id)
    )


@exporter(
    "orders",
    permission=basic(Module.ORDER, Action.EXPORT),
    title="Orders",
    description="Orders and contracts you may see.",
)
def orders(principal: Principal, parameters: dict[str, Any]) -> Any:
    owner = aliased(User)
    customer = aliased(Customer)  # the exists() of the visibility rule is not this
    return (
        select(
            Order.id.label("Order"),
            customer.name.label("Customer"),
            Order.title.label("Title"),
            Order.amount.label("Amount"),
            Order.signed_on.label("Signed on"),
            Order.starts_on.label("Starts on"),
            Order.expires_on.label("Expires on"),
            owner.name.label("Owner"),
            Order.remarks.label("Remarks"),
            Order.created_at.label("Created at (UTC)"),
        )
        .join(customer, customer.id == Order.customer_id)
        .join(owner, owner.id == Order.owner_id)
        .where(visibility.order(principal))
        .order_by(Order.id)
    )


@exporter(
    "payments",
    permission=basic(Module.PAYMENT, Action.EXPORT),
    title="Payment records",
    description="Payments received on the orders you may see.",
)
def payments(principal: Principal, parameters: dict[str, Any]) -> Any:
    handler_user = aliased(User)
    customer = aliased(Customer)  # the exists() of the visibility rule is not this
    return (
        select(
            PaymentRecord.order_id.label("Order"),
            Order.title.label("Order title"),
            customer.name.label("Customer"),
            PaymentRecord.sequence.label("Payment"),
            PaymentRecord.paid_on.label("Paid on"),
            PaymentRecord.amount.label("Amount"),
            handler_user.name.label("Handled by"),
            PaymentRecord.invoiced.label("Invoiced"),
            PaymentRecord.remarks.label("Remarks"),
        )
        .join(Order, Order.id == PaymentRecord.order_id)
        .join(customer, customer.id == Order.customer_id)
        .outerjoin(handler_user, handler_user.id == PaymentRecord.handler_id)
        .where(visibility.order(principal))
        .order_by(PaymentRecord.id)
    )


@exporter(
    "refunds",
    permission=basic(Module.REFUND, Action.EXPORT),
    title="Refunds",
    description="Refunds on the orders you may see.",
)
def refunds(principal: Principal, parameters: dict[str, Any]) -> Any:
    customer = aliased(Customer)  # the exists() of the visibility rule is not this
    return (
        select(
            Refund.order_id.label("Order"),
            Order.title.label("Order title"),
            customer.name.label("Customer"),
            Refund.amount.label("Amount"),
            Refund.refunded_at.label("Refunded at (UTC)"),
            Refund.reason.label("Reason"),
        )
        .join(Order, Order.id == Refund.order_id)
        .join(customer, customer.id == Order.customer_id)
        .where(visibility.order(principal))
        .order_by(Refund.id)
    )


async def start_export(uow: UnitOfWork, kind: str, parameters: dict[str, Any]) -> Job:
    """Queue an export of ``kind`` for the caller, who needs its export permission."""
    found = EXPORTERS[kind]
    uow.principal.require(found.permission)
    found.query(uow.principal, parameters)  # a filter it cannot use fails now, not later
    return await start(uow, JobKind.EXPORT, kind, parameters=parameters)
