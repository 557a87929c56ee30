"""Which GraphQL types and fields compiled reads can answer in SQL, and how.

A type listed in ``TABLES`` is read from its model's table: every field without a resolver
whose Python name is a mapped column is that column (the planner finds those by itself); the
fields listed here are the others, each said in SQL the way its resolver and loader say it in
Python. Lists reuse the loaders' orders and the rules of ``db/visibility.py``, so both paths
list the same rows in the same order. A field that is neither makes the planner hand the
document to Strawberry, which is always correct.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from graphql import GraphQLField
from sqlalchemy import ColumnElement, FromClause, Select, and_, case, func, literal, select
from strawberry.types.base import StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition
from strawberry.utils.str_converters import to_camel_case

from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.base import ZERO, Money
from gql_crm.db.masking import masked_sql, sensitive_columns
from gql_crm.db.models import (
    Announcement,
    CallRecord,
    Complaint,
    Contact,
    Customer,
    CustomerNote,
    DeliveryPlan,
    Expense,
    FollowUp,
    Invoice,
    MaturityOption,
    Message,
    MessageRecipient,
    Notification,
    OperationLog,
    Opportunity,
    OpportunityStage,
    OptionItem,
    Order,
    OrderLine,
    PaymentPlan,
    PaymentRecord,
    Schedule,
    ServiceRecord,
    Task,
    User,
)
from gql_crm.db.pagination import SortKey, ordered
from gql_crm.direct.compiled_sql import Parameters
from gql_crm.loaders.batch import Children
from gql_crm.loaders.customer import CONTACT_ORDER, CUSTOMER_FOLLOW_UPS, CUSTOMER_LOG
from gql_crm.loaders.customer_record import (
    CUSTOMER_CALLS,
    CUSTOMER_COMPLAINTS,
    CUSTOMER_NOTES,
    CUSTOMER_SERVICES,
    CUSTOMER_TASKS,
    schedule_order,
)
from gql_crm.loaders.opportunity import (
    CUSTOMER_OPPORTUNITIES,
    OPPORTUNITY_FOLLOW_UPS,
    OPPORTUNITY_SCHEDULES,
    OPPORTUNITY_TASKS,
)
from gql_crm.loaders.order import (
    CUSTOMER_EXPENSES,
    CUSTOMER_ORDERS,
    INVOICE_ORDER,
    PAYMENT_ORDER,
    PAYMENT_PLAN_ORDER,
    customer_money_rows,
)
from gql_crm.resolvers.kit import LISTED, Default
from gql_crm.schema.contact import ContactSortInput
from gql_crm.schema.customer import CustomerSortInput
from gql_crm.services import workbench
from gql_crm.services.contact import contact_query
from gql_crm.services.customer import CustomerFilter, customer_query
from gql_crm.services.opportunity import opportunity_query
from gql_crm.services.order import NEWEST_FIRST, order_query

Where = Callable[[Principal], Sequence[ColumnElement[bool]]]


def _nothing(_principal: Principal) -> Sequence[ColumnElement[bool]]:
    return ()


@dataclass(frozen=True, slots=True)
class Value:
    """A scalar computed from the row (and the caller), e.g. a masked phone number."""

    build: Callable[[Principal], ColumnElement[Any]]


@dataclass(frozen=True, slots=True)
class One:
    """A related row of ``model`` (or null): the first matching ``on`` in ``order_by``."""

    model: type[Any]
    on: Callable[[], ColumnElement[bool]]
    order_by: Sequence[ColumnElement[Any]] = ()


@dataclass(frozen=True, slots=True)
class Many:
    """A list of ``model`` rows under a row of ``parent``, as the loader lists them, in the
    order of the loader's sort keys (``keys``).

    ``source`` is the FROM (the model's table, or a join through the orders); ``paged``
    lists are connections taking ``first`` and ``after`` (the default from the schema,
    checked by the planner against the largest page), the others plain lists of every row.
    """

    model: type[Any]
    parent: type[Any]
    on: Callable[[], ColumnElement[bool]]
    keys: Callable[[Parameters], Sequence[SortKey]]
    where: Where = _nothing
    source: Callable[[], FromClause] | None = None
    paged: bool = True


@dataclass(frozen=True, slots=True)
class Inline:
    """An object type without a table of its own: its fields are values over the one row
    ``source`` computes for the parent row (the parent's columns are correlated)."""

    source: Callable[[Principal], Select[Any]]
    fields: dict[str, Callable[[Any], ColumnElement[Any]]]  # over the source's columns


@dataclass(frozen=True, slots=True)
class Itself:
    """The parent's own row, read as another type (a wrapper's ``plan`` of the same row)."""


@dataclass(frozen=True, slots=True)
class Table:
    """A GraphQL object type read from rows of ``model``; ``fields`` are those that are not
    plain columns (the planner maps the plain ones itself). The model's sensitive columns
    are added as masked values, as their declarations say."""

    model: type[Any]
    fields: dict[str, Value | One | Many | Inline | Itself] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in sensitive_columns(self.model):
            key = to_camel_case(name)
            if key in self.fields:
                raise ValueError(f"{self.model.__name__}.{name} is masked as declared")
            self.fields[key] = _masked(self.model, name)


@dataclass(frozen=True, slots=True)
class Listing:
    """A query field answered by a page of ``model`` rows (a connection), as the resolver
    pages them: ``rows`` lists the rows for the ``filter`` argument (given as keyword
    arguments of the service's filter), ``keys`` orders them for the ``sort`` argument (None
    when not given) with the resolver's keyset keys, so cursors serve on both paths.

    The filter fields in ``parameters`` (ids, days: name -> SQL type) are statement
    parameters; the others (views, enums, flags) choose the statement; a field of
    ``unplanned`` given (a non-blank text search, a filter that needs the company's day)
    leaves the request to Strawberry.
    """

    model: type[Any]
    rows: Callable[[Principal, dict[str, Any]], Select[Any]]
    keys: Callable[[dict[str, Any] | None], Sequence[SortKey]]
    parameters: dict[str, str]
    unplanned: frozenset[str] = frozenset()
    # Arguments of the field itself read as the filter's fields are (``unreadOnly``).
    arguments: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Root:
    """A query field answered by one row of ``model`` found by its ``id`` argument."""

    model: type[Any]
    rows: Callable[[Principal, ColumnElement[Any]], Select[Any]]


@dataclass(frozen=True, slots=True)
class Rows:
    """A board's list: the rows ``statement`` selects for the caller and the terms (in its
    own order, limited), each read as ``item`` says (None: as the item type's table)."""

    statement: Callable[[Principal, Any], Select[*tuple[Any, ...]]]
    item: Callable[[Any], Table] | None = None


@dataclass(frozen=True, slots=True)
class Board:
    """A query field answered by one object that is no row, taking at most ``first``: each
    field a list of rows or a value, built from the request's terms, which ``terms`` makes
    SQL of the request's time and the page size."""

    terms: Callable[[ColumnElement[Any], ColumnElement[Any]], Any]
    fields: dict[str, Rows | Callable[[Principal, Any], ColumnElement[Any]]]


def _user(column: Any) -> One:
    return One(User, lambda: User.id == column)


def _option(column: Any) -> One:
    return One(OptionItem, lambda: OptionItem.id == column)


def _fixed_order(order: Sequence[SortKey]) -> Callable[[Parameters], Sequence[SortKey]]:
    """An order that needs no request parameter (unlike the schedules', which needs now)."""
    return lambda _parameters: order


def _live(model: Any) -> Where:
    return lambda _principal: (model.deleted_at.is_(None),)


def _on_customer(model: Any, order: Sequence[SortKey], **options: Any) -> Many:
    """A list of ``model`` rows hanging on the customer by ``customer_id``."""
    return Many(
        model, Customer, lambda: model.customer_id == Customer.id, _fixed_order(order), **options
    )


def _children(parent: type[Any], children: Children, *, paged: bool = False) -> Many:
    """The rows ``children`` declares under a row of ``parent``, as its loader lists them:
    a connection when ``paged``, else a plain list."""
    return Many(
        children.model,
        parent,
        lambda: children.parent == parent.id,
        _fixed_order(children.order),
        where=children.conditions,
        paged=paged,
    )


def _through_orders(model: Any, order: Sequence[SortKey]) -> Many:
    """A list of an order's child rows over the customer's orders the caller may see."""
    return Many(
        model,
        Customer,
        lambda: Order.customer_id == Customer.id,
        _fixed_order(order),
        where=lambda principal: (visibility.order(principal),),
        source=lambda: model.__table__.join(Order.__table__, Order.id == model.order_id),
    )


def _masked(model: type[Any], name: str) -> Value:
    return Value(lambda principal: masked_sql(principal, model, name))


def _customer_name(_principal: Principal) -> ColumnElement[Any]:
    """The name of the order's customer (``Order.customer_name``: the row by its id)."""
    return select(Customer.name).where(Customer.id == Order.customer_id).scalar_subquery()


def _customer_money(principal: Principal) -> Select[Any]:
    """The customer's totals over what the caller may see, one row (``load_customer_money``:
    the same rows, summed without grouping so that a customer without any gets zeros)."""
    rows = customer_money_rows(principal, lambda column: column == Customer.id, Customer)
    numbered = rows.subquery()
    zero = literal(ZERO, Money)
    return select(
        *(
            func.coalesce(func.sum(numbered.c[total]), zero).label(total)
            for total in ("contract", "received", "refunded", "expenses")
        )
    )


_CUSTOMER_MONEY = Inline(
    _customer_money,
    {
        "contractTotal": lambda t: t.contract,
        "receivedTotal": lambda t: t.received,
        "refundedTotal": lambda t: t.refunded,
        "netContractTotal": lambda t: t.contract - t.refunded,
        "netReceivedTotal": lambda t: t.received - t.refunded,
        "outstandingTotal": lambda t: t.contract - t.received,
        "approvedExpenseTotal": lambda t: t.expenses,
    },
)


def _record(model: Any) -> Table:
    return Table(model, {"owner": _user(model.owner_id)})


TABLES: dict[str, Table] = {
    "Customer": Table(
        Customer,
        {
            "owner": _user(Customer.owner_id),
            "category": _option(Customer.category_id),
            "source": _option(Customer.source_id),
            "status": _option(Customer.status_id),
            "industry": _option(Customer.industry_id),
            "maturity": One(MaturityOption, lambda: MaturityOption.id == Customer.maturity_id),
            "money": _CUSTOMER_MONEY,
            "contacts": _on_customer(Contact, CONTACT_ORDER, paged=False),
            "primaryContact": One(
                Contact,
                lambda: and_(Contact.customer_id == Customer.id, Contact.is_primary),
                ordered(CONTACT_ORDER),
            ),
            "followUps": _children(Customer, CUSTOMER_FOLLOW_UPS, paged=True),
            "opportunities": _children(Customer, CUSTOMER_OPPORTUNITIES, paged=True),
            "orders": _children(Customer, CUSTOMER_ORDERS, paged=True),
            "tasks": _children(Customer, CUSTOMER_TASKS, paged=True),
            "schedules": Many(
                Schedule,
                Customer,
                lambda: Schedule.customer_id == Customer.id,
                lambda parameters: schedule_order(parameters.now),
                where=_live(Schedule),
            ),
            "notes": _children(Customer, CUSTOMER_NOTES, paged=True),
            "callRecords": _children(Customer, CUSTOMER_CALLS, paged=True),
            "complaints": _children(Customer, CUSTOMER_COMPLAINTS, paged=True),
            "serviceRecords": _children(Customer, CUSTOMER_SERVICES, paged=True),
            "paymentPlans": _through_orders(PaymentPlan, PAYMENT_PLAN_ORDER),
            "payments": _through_orders(PaymentRecord, PAYMENT_ORDER),
            "invoices": _through_orders(Invoice, INVOICE_ORDER),
            "expenses": _children(Customer, CUSTOMER_EXPENSES, paged=True),
            "operationLog": _children(Customer, CUSTOMER_LOG, paged=True),
        },
    ),
    "User": Table(User),
    "Option": Table(OptionItem),
    "MaturityOption": Table(MaturityOption),
    "OpportunityStage": Table(OpportunityStage),
    "Contact": Table(Contact),
    "FollowUp": Table(
        FollowUp, {"method": _option(FollowUp.method_id), "author": _user(FollowUp.author_id)}
    ),
    "Opportunity": Table(
        Opportunity,
        {
            "stage": One(OpportunityStage, lambda: OpportunityStage.id == Opportunity.stage_id),
            "owner": _user(Opportunity.owner_id),
            "type": _option(Opportunity.type_id),
            "source": _option(Opportunity.source_id),
            "tasks": _children(Opportunity, OPPORTUNITY_TASKS),
            "schedules": _children(Opportunity, OPPORTUNITY_SCHEDULES),
            "followUps": _children(Opportunity, OPPORTUNITY_FOLLOW_UPS),
        },
    ),
    "Order": Table(Order, {"owner": _user(Order.owner_id), "customerName": Value(_customer_name)}),
    "PaymentPlan": Table(PaymentPlan),
    "PaymentRecord": Table(PaymentRecord, {"handler": _user(PaymentRecord.handler_id)}),
    "Invoice": Table(Invoice),
    "Expense": Table(
        Expense,
        {"owner": _user(Expense.owner_id), "reviewedBy": _user(Expense.reviewed_by_id)},
    ),
    "Task": _record(Task),
    "Announcement": Table(Announcement),
    "Notification": Table(Notification),
    "OperationLogEntry": Table(OperationLog, {"actor": _user(OperationLog.actor_id)}),
    "Message": Table(
        Message,
        {
            "sender": _user(Message.sender_id),
            "readAt": Value(lambda principal: _read_at(principal)),
        },
    ),
    "DeliveryPlan": Table(DeliveryPlan),
    "Schedule": _record(Schedule),
    "CustomerNote": _record(CustomerNote),
    "CallRecord": _record(CallRecord),
    "Complaint": _record(Complaint),
    "ServiceRecord": _record(ServiceRecord),
}


def _customer_keys(sort: dict[str, Any] | None) -> list[SortKey]:
    return (CustomerSortInput(**sort) if sort else CustomerSortInput()).keys()


def _read_at(principal: Principal) -> ColumnElement[Any]:
    """When the caller read a message (``message_read_at``): null if unread or sent by them."""
    receipt = MessageRecipient.message_id == Message.id
    mine = MessageRecipient.user_id == principal.user_id
    return select(MessageRecipient.read_at).where(receipt, mine).scalar_subquery()


def _receivable(terms: workbench.Terms) -> Table:
    overdue = Value(lambda _principal: PaymentPlan.due_on < terms.today)
    order = One(Order, lambda: Order.id == PaymentPlan.order_id)
    return Table(PaymentPlan, {"plan": Itself(), "order": order, "overdue": overdue})


def _delivery_reminder(_terms: workbench.Terms) -> Table:
    line = OrderLine.id == DeliveryPlan.order_line_id
    order_id = select(OrderLine.order_id).where(line).correlate(DeliveryPlan)
    return Table(
        DeliveryPlan,
        {
            "plan": Itself(),
            "order": One(Order, lambda: Order.id == order_id.scalar_subquery()),
            "deliveredQuantity": Value(lambda _principal: workbench.delivered_quantity()),
        },
    )


def _sales(label: str) -> Callable[[Principal, Any], ColumnElement[Any]]:
    def value(principal: Principal, terms: workbench.Terms) -> ColumnElement[Any]:
        sales = workbench.sales(principal, terms).subquery()
        return select(sales.c[label]).scalar_subquery()

    return value


def _company_sales(principal: Principal, terms: workbench.Terms) -> ColumnElement[Any]:
    shown = workbench.sees_company_sales(principal, terms)
    sales = _sales("company")(principal, terms)
    return sales if shown is True else case((shown, sales))


# workbench(first) (resolvers/workbench): its parts are the service's statements.
WORKBENCH = Board(
    lambda now, limit: workbench.Terms.in_sql(now, limit),
    {
        "today": lambda _principal, terms: terms.today,
        "schedules": Rows(workbench.schedules),
        "tasks": Rows(workbench.tasks),
        "announcements": Rows(workbench.announcements),
        "receivables": Rows(workbench.receivables, _receivable),
        "callRecords": Rows(workbench.calls),
        "complaints": Rows(workbench.complaints),
        "deliveryReminders": Rows(workbench.deliveries, _delivery_reminder),
        "mySalesThisMonth": _sales("mine"),
        "companySalesThisMonth": _company_sales,
        "releasingCustomers": Rows(workbench.releasing),
    },
)

ROOTS: dict[str, Root | Listing | Board] = {
    "workbench": WORKBENCH,
    # customer(id): the customer as the caller's lists show it, or null (resolvers/customer).
    "customer": Root(
        Customer,
        lambda principal, id_: customer_query(principal, CustomerFilter()).where(
            Customer.id == id_
        ),
    ),
    # opportunity(id): one the caller may see, or null (resolvers/opportunity).
    "opportunity": Root(
        Opportunity,
        lambda principal, id_: opportunity_query(principal).where(Opportunity.id == id_),
    ),
    # customers(filter, sort, first, after): the customer lists (resolvers/customer).
    "customers": Listing(
        Customer,
        lambda principal, filters: customer_query(principal, CustomerFilter(**filters)),
        _customer_keys,
        parameters=dict.fromkeys(
            ("category_id", "source_id", "status_id", "industry_id", "maturity_id", "owner_id"),
            "integer",
        ),
        unplanned=frozenset({"search"}),
    ),
    # contacts(filter, sort, first, after) (resolvers/contact).
    "contacts": Listing(
        Contact,
        contact_query,
        lambda sort: (ContactSortInput(**sort) if sort else ContactSortInput()).keys(),
        parameters=dict.fromkeys(("customer_id", "owner_id"), "integer"),
        unplanned=frozenset({"search"}),
    ),
    # orders(filter, first, after) (resolvers/order): a status filter reads the company's day.
    "orders": Listing(
        Order,
        lambda principal, filters: order_query(principal, filters),
        lambda _sort: NEWEST_FIRST,
        parameters={
            **dict.fromkeys(("customer_id", "owner_id"), "integer"),
            **dict.fromkeys(("expires_from", "expires_to"), "date"),
        },
        unplanned=frozenset({"search", "status"}),
    ),
}


def kit_listing(field: GraphQLField) -> Listing | None:
    """A list the kit's ``connection`` declared, over a type with a table here, narrowed by a
    ``filter`` input and arguments of its own: its service query and order say how it reads.
    Of the filter's fields and those arguments, ids and days are statement parameters, enums
    and flags choose the statement, and the others (texts, lists) leave the request to
    Strawberry."""
    definition = field.extensions.get("strawberry-definition")
    resolver = getattr(definition, "base_resolver", None)
    listed = LISTED.get(resolver.wrapped_func) if resolver is not None else None
    if listed is None:
        return None
    table = TABLES.get(listed.node.__strawberry_definition__.name)
    if table is None:
        return None
    given = listed.arguments.get("filter")
    own = {
        name: kind
        for name, kind in listed.arguments.items()
        if name not in ("filter", "first", "after")
    }
    parameters: dict[str, str] = {}
    unplanned: set[str] = set()
    read = [(f.python_name, f.type) for f in _input_fields(given)] + list(own.items())
    for name, kind in read:
        kind = _plain_kind(kind)
        if kind in _PARAMETER_TYPES:
            parameters[name] = _PARAMETER_TYPES[kind]
        elif not (kind is bool or _is_enum(kind)):
            unplanned.add(name)
    query, order = listed.query, listed.order

    def rows(principal: Principal, values: dict[str, Any]) -> Select[Any]:
        arguments = {name: values.get(name) for name in own}
        if given:
            arguments["filter"] = {k: v for k, v in values.items() if k not in own}
        stmt: Select[Any] = query(principal, **arguments)
        return stmt

    return Listing(
        table.model,
        rows,
        lambda _sort: order,
        parameters,
        frozenset(unplanned),
        frozenset(to_camel_case(name) for name in own),
    )


def _plain_kind(kind: Any) -> Any:
    """The type an argument or input field holds: ``int`` of ``int | None``, of
    ``default(int, 0)``, of ``described(int | None, "…")``."""
    kind = kind.kind if isinstance(kind, Default) else kind
    while get_origin(kind) is Annotated:
        kind = get_args(kind)[0]
    if isinstance(kind, StrawberryOptional):
        kind = kind.of_type
    options = [option for option in get_args(kind) if option is not type(None)]
    return options[0] if len(options) == 1 and get_origin(kind) in (Union, UnionType) else kind


def _is_enum(kind: Any) -> bool:
    return isinstance(kind, StrawberryEnumDefinition) or (
        isinstance(kind, type) and issubclass(kind, enum.Enum)
    )


_PARAMETER_TYPES: dict[Any, str] = {int: "integer", date: "date"}


def _input_fields(annotation: Any) -> list[Any]:
    """The fields of the input type in ``annotation`` (``FilterInput | None``), or none."""
    for kind in (annotation, *get_args(annotation)):
        definition = getattr(kind, "__strawberry_definition__", None)
        if definition is not None:
            return list(definition.fields)
    return []
