from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry import UNSET

from gql_crm.context import Info
from gql_crm.db.models import Customer, CustomerKind, TemporaryOrigin
from gql_crm.db.pagination import SortKey
from gql_crm.loaders import Loaders
from gql_crm.loaders.batch import Slice
from gql_crm.schema.attachment import AttachmentType
from gql_crm.schema.common import Connection, page_size, requires
from gql_crm.schema.contact import ContactType
from gql_crm.schema.customer_record import (
    CallRecordType,
    ComplaintType,
    CustomerNoteType,
    ScheduleType,
    ServiceRecordType,
    TaskType,
)
from gql_crm.schema.expense import ExpenseType
from gql_crm.schema.follow_up import FollowUpType
from gql_crm.schema.kit import ModelInput, ModelType, related
from gql_crm.schema.operation_log import OperationLogEntryType
from gql_crm.schema.opportunity import OpportunityType
from gql_crm.schema.option import OptionType
from gql_crm.schema.order import InvoiceType, OrderType
from gql_crm.schema.payment import PaymentPlanType, PaymentRecordType
from gql_crm.schema.setting import MaturityOptionType, PoolEnum
from gql_crm.schema.training import TrainingAttendeeType, attendees_of_customer
from gql_crm.schema.user import UserType
from gql_crm.services.customer import CustomerView, sort_keys
from gql_crm.services.expense import EXPENSE_VIEW
from gql_crm.services.order import ORDER_VIEW
from gql_crm.services.pool import release_forecast
from gql_crm.services.training import VIEW as TRAINING_VIEW

CustomerKindEnum = strawberry.enum(
    CustomerKind,
    name="CustomerKind",
    description="Whether a customer is a company or a private person.",
)
TemporaryOriginEnum = strawberry.enum(
    TemporaryOrigin,
    name="TemporaryOrigin",
    description="How a customer came into the temporary pool: entered directly or claimed from "
    "the public pool; decides the reclaim ban if it falls back.",
)
CustomerViewEnum = strawberry.enum(
    CustomerView,
    name="CustomerView",
    description="ALL: everything you may see; MINE; SUBORDINATES: owned by users in your "
    "scope other than you; SHARED: shared with you; PUBLIC / SPECIAL pools; CLOSED_WON.",
)

# A customer's sub-lists page as the root lists do; their `first` keeps its old default.
SUB_LIST_PAGE = 20


def _slice(info: Info, customer_id: int, first: int, after: str | None) -> Slice:
    """A page of one of the customer's sub-lists."""
    return Slice(customer_id, page_size(info, first), after)


@strawberry.type(description="When a customer falls back to the public pool if nothing happens.")
class PoolRelease:
    at: datetime = strawberry.field(description="When it falls back.")
    reason: str = strawberry.field(description="Which rule sends it back, for people.")


@strawberry.type(
    name="CustomerMoney",
    description="A customer's totals: contractTotal = sum of order amounts; outstandingTotal "
    "= contractTotal - receivedTotal; netContractTotal and netReceivedTotal subtract refunds.",
)
class CustomerMoneyType:
    contract_total: Decimal = strawberry.field(description="Sum of the amounts of its orders.")
    received_total: Decimal = strawberry.field(description="Sum of the payments received on them.")
    refunded_total: Decimal = strawberry.field(description="Sum of the refunds on them.")
    net_contract_total: Decimal = strawberry.field(description="contractTotal - refundedTotal.")
    net_received_total: Decimal = strawberry.field(description="receivedTotal - refundedTotal.")
    outstanding_total: Decimal = strawberry.field(
        description="contractTotal - receivedTotal: still to be received."
    )
    approved_expense_total: Decimal = strawberry.field(
        description="Sum of the approved expenses recorded against it."
    )


@strawberry.type(name="Customer", description="An enterprise or individual customer.")
class CustomerType(ModelType, model=Customer):
    id: int
    kind: CustomerKindEnum  # type: ignore[valid-type]
    name: str
    short_name: str | None
    acquired_on: date | None
    city: str | None
    address: str | None
    website: str | None
    remarks: str | None
    pool: PoolEnum = strawberry.field(  # type: ignore[valid-type]
        description="The pool the customer is kept in. A closed-won customer (closedWonAt set) "
        "has left the private and temporary pools: it counts toward no cap, never falls back "
        "and is listed under the CLOSED_WON view, not under its pool; this field then names "
        "the pool it returns to should its last order be deleted."
    )
    pool_entered_at: datetime
    temporary_origin: TemporaryOriginEnum | None  # type: ignore[valid-type]
    last_follow_up_at: datetime | None
    closed_won_at: datetime | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    owner_id: int | None
    category_id: int | None
    source_id: int | None
    status_id: int | None
    industry_id: int | None
    maturity_id: int | None
    _model: strawberry.Private[Customer]

    async def _option(self, info: Info, option_id: int | None) -> OptionType | None:
        if option_id is None:
            return None
        item = await info.context.loaders.option.load(option_id)
        return OptionType.from_model(item) if item else None

    @strawberry.field
    async def category(self, info: Info) -> OptionType | None:
        return await self._option(info, self.category_id)

    @strawberry.field
    async def source(self, info: Info) -> OptionType | None:
        return await self._option(info, self.source_id)

    @strawberry.field
    async def status(self, info: Info) -> OptionType | None:
        return await self._option(info, self.status_id)

    @strawberry.field
    async def industry(self, info: Info) -> OptionType | None:
        return await self._option(info, self.industry_id)

    @strawberry.field
    async def maturity(self, info: Info) -> MaturityOptionType | None:
        if self.maturity_id is None:
            return None
        option = await info.context.loaders.maturity.load(self.maturity_id)
        return MaturityOptionType.from_model(option) if option else None

    @strawberry.field
    async def owner(self, info: Info) -> UserType | None:
        if self.owner_id is None:
            return None
        user = await info.context.loaders.user.load(self.owner_id)
        return UserType.from_model(user) if user else None

    def _with_details(self, info: Info) -> Loaders:
        """The loaders, told this customer: its contacts' and records' masks ask for it."""
        loaders = info.context.loaders
        loaders.customer.prime(self.id, self._model)
        return loaders

    @strawberry.field(description="All contacts, the primary one first.")
    async def contacts(self, info: Info) -> list[ContactType]:
        contacts = await self._with_details(info).customer_contacts.load(self.id)
        return [ContactType.from_model(c) for c in contacts]

    @strawberry.field(description="The customer's main contact, if it has one.")
    async def primary_contact(self, info: Info) -> ContactType | None:
        contacts = await self._with_details(info).customer_contacts.load(self.id)
        primary = next((c for c in contacts if c.is_primary), None)
        return ContactType.from_model(primary) if primary else None

    @strawberry.field(description="Newest first.")
    async def follow_ups(
        self, info: Info, first: int = SUB_LIST_PAGE, after: str | None = None
    ) -> Connection[FollowUpType]:
        key = _slice(info, self.id, first, after)
        page = await info.context.loaders.customer_follow_ups.load(key)
        return Connection.build(page, [FollowUpType.from_model(row) for row in page.items])

    @strawberry.field(description="Opportunities you may see, most recently changed first.")
    async def opportunities(
        self, info: Info, first: int = SUB_LIST_PAGE, after: str | None = None
    ) -> Connection[OpportunityType]:
        key = _slice(info, self.id, first, after)
        page = await info.context.loaders.customer_opportunities.load(key)
        return Connection.build(page, [OpportunityType.from_model(row) for row in page.items])

    @strawberry.field(description="Orders / contracts you may see, newest first.")
    async def orders(
        self, info: Info, first: int = SUB_LIST_PAGE, after: str | None = None
    ) -> Connection[OrderType]:
        key = _slice(info, self.id, first, after)
        page = await info.context.loaders.customer_orders.load(key)
        return Connection.build(page, [OrderType.from_model(row) for row in page.items])

    @strawberry.field(description="Open to-dos first, by due time.")
    async def tasks(
        self, info: Info, first: int = SUB_LIST_PAGE, after: str | None = None
    ) -> Connection[TaskType]:
        key = _slice(info, self.id, first, after)
        page = await info.context.loaders.customer_tasks.load(key)
        return Connection.build(page, [TaskType.from_model(row) for row in page.items])

    @strawberry.field(description="Upcoming first, soonest first; then past ones, latest first.")
    async def schedules(
        self, info: Info, first: int = SUB_LIST_PAGE, after: str | None = None
    ) -> Connection[ScheduleType]:
        key = _slice(info, self.id, first, after)
        now = info.context.services.clock.now().replace(second=0, microsecond=0)
        page = await info.context.loaders.customer_schedules.load((key, now))
        return Connection.build(page, [ScheduleType.from_model(row) for row in page.items])

    @strawberry.field(description="Newest first.")
    async def notes(
        self, info: Info, first: int = SUB_LIST_PAGE, after: str | None = None
    ) -> Connection[CustomerNoteType]:
        key = _slice(info, self.id, first, after)
        page = await info.context.loaders.customer_notes.load(key)
        return Connection.build(page, [CustomerNoteType.from_model(row) for row in page.items])

    @strawberry.field(description="Unprocessed first, then newest.")
    async def call_records(
        self, info: Info, first: int = SUB_LIST_PAGE, after: str | None = None
    ) -> Connection[CallRecordType]:
        key = _slice(info, self.id, first, after)
        page = await self._with_details(info).customer_calls.load(key)
        return Connection.build(page, [CallRecordType.from_model(row) for row in page.items])

    @strawberry.field(description="Unresolved first, then newest.")
    async def complaints(
        self, info: Info, first: int = SUB_LIST_PAGE, after: str | None = None
    ) -> Connection[ComplaintType]:
        key = _slice(info, self.id, first, after)
        page = await info.context.loaders.customer_complaints.load(key)
        return Connection.build(page, [ComplaintType.from_model(row) for row in page.items])

    @strawberry.field(description="Newest first.")
    async def service_records(
        self, info: Info, first: int = SUB_LIST_PAGE, after: str | None = None
    ) -> Connection[ServiceRecordType]:
        key = _slice(info, self.id, first, after)
        page = await info.context.loaders.customer_services.load(key)
        return Connection.build(page, [ServiceRecordType.from_model(row) for row in page.items])

    trainings = related(
        TrainingAttendeeType, "id", attendees_of_customer, many=True, scoped=True,
        needs=TRAINING_VIEW, description="Its places on training courses you may see.",
    )  # fmt: skip

    @strawberry.field(
        extensions=[requires(ORDER_VIEW)],
        description="Payment plans of the orders you may see, by due date.",
    )
    async def payment_plans(
        self, info: Info, first: int = SUB_LIST_PAGE, after: str | None = None
    ) -> Connection[PaymentPlanType]:
        key = _slice(info, self.id, first, after)
        page = await info.context.loaders.customer_payment_plans.load(key)
        return Connection.build(page, [PaymentPlanType.from_model(p) for p in page.items])

    @strawberry.field(
        extensions=[requires(ORDER_VIEW)],
        description="Payments on the orders you may see, newest first.",
    )
    async def payments(
        self, info: Info, first: int = SUB_LIST_PAGE, after: str | None = None
    ) -> Connection[PaymentRecordType]:
        key = _slice(info, self.id, first, after)
        page = await info.context.loaders.customer_payments.load(key)
        return Connection.build(page, [PaymentRecordType.from_model(row) for row in page.items])

    @strawberry.field(
        extensions=[requires(ORDER_VIEW)],
        description="Invoices on the orders you may see, newest first.",
    )
    async def invoices(
        self, info: Info, first: int = SUB_LIST_PAGE, after: str | None = None
    ) -> Connection[InvoiceType]:
        key = _slice(info, self.id, first, after)
        page = await info.context.loaders.customer_invoices.load(key)
        return Connection.build(page, [InvoiceType.from_model(row) for row in page.items])

    @strawberry.field(
        extensions=[requires(EXPENSE_VIEW)],
        description="Expenses you may see on this customer, newest first.",
    )
    async def expenses(
        self, info: Info, first: int = SUB_LIST_PAGE, after: str | None = None
    ) -> Connection[ExpenseType]:
        key = _slice(info, self.id, first, after)
        page = await info.context.loaders.customer_expenses.load(key)
        return Connection.build(page, [ExpenseType.from_model(row) for row in page.items])

    @strawberry.field(description="Files on the customer, newest first.")
    async def attachments(self, info: Info) -> list[AttachmentType]:
        rows = await info.context.loaders.customer_attachments.load(self.id)
        return [AttachmentType.from_model(r) for r in rows]

    @strawberry.field(
        extensions=[requires(ORDER_VIEW)],
        description="Money totals over the orders and expenses you may see.",
    )
    async def money(self, info: Info) -> CustomerMoneyType:
        totals = await info.context.loaders.customer_money.load(self.id)
        return CustomerMoneyType(
            contract_total=totals.contract_total,
            received_total=totals.received_total,
            refunded_total=totals.refunded_total,
            net_contract_total=totals.net_contract_total,
            net_received_total=totals.net_received_total,
            outstanding_total=totals.outstanding_total,
            approved_expense_total=totals.approved_expense_total,
        )

    @strawberry.field(description="Colleagues the customer is shared with.")
    async def shared_with(self, info: Info) -> list[UserType]:
        user_ids = await info.context.loaders.customer_shared_with.load(self.id)
        users = await info.context.loaders.user.load_many(user_ids)
        return [UserType.from_model(u) for u in users if u is not None]

    @strawberry.field(
        description="When it falls back to the public pool if nothing happens (null: never, "
        "e.g. public, special or closed-won customers)."
    )
    async def pool_release(self, info: Info) -> PoolRelease | None:
        forecast = release_forecast(self._model, await info.context.loaders.settings())
        return PoolRelease(at=forecast.at, reason=forecast.reason) if forecast else None

    @strawberry.field(description="Newest first: creation, claims, releases, shares, transfers…")
    async def operation_log(
        self, info: Info, first: int = SUB_LIST_PAGE, after: str | None = None
    ) -> Connection[OperationLogEntryType]:
        key = _slice(info, self.id, first, after)
        page = await info.context.loaders.customer_operation_log.load(key)
        return Connection.build(page, [OperationLogEntryType.from_model(row) for row in page.items])


@strawberry.type
class CustomerSuccess:
    customer: CustomerType


@strawberry.type
class CustomersSuccess:
    customers: list[CustomerType]


@strawberry.input
class CustomerInput(ModelInput, model=Customer):
    kind: CustomerKindEnum = CustomerKind.ENTERPRISE  # type: ignore[valid-type]
    name: str
    short_name: str | None = None
    acquired_on: date | None = None
    category_id: int | None = None
    source_id: int | None = None
    status_id: int | None = None
    industry_id: int | None = None
    maturity_id: int | None = strawberry.field(
        default=None, description="Decides the pool; none puts the customer in the public pool."
    )
    city: str | None = None
    address: str | None = None
    website: str | None = None
    remarks: str | None = None


@strawberry.input(
    description="The fields of a customer to change: a field left out keeps its value, an "
    "explicit null clears it (a maturity cleared puts the customer in the public pool)."
)
class CustomerUpdateInput:
    kind: CustomerKindEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=UNSET, description="Enterprise or individual; cannot be cleared."
    )
    name: str | None = strawberry.field(default=UNSET, description="Cannot be cleared.")
    short_name: str | None = strawberry.field(default=UNSET, description="A shorter name.")
    acquired_on: date | None = strawberry.field(
        default=UNSET, description="When the customer was acquired."
    )
    category_id: int | None = UNSET
    source_id: int | None = UNSET
    status_id: int | None = UNSET
    industry_id: int | None = UNSET
    maturity_id: int | None = strawberry.field(
        default=UNSET, description="Decides the pool; null puts the customer in the public pool."
    )
    city: str | None = strawberry.field(default=UNSET, description="The city.")
    address: str | None = strawberry.field(default=UNSET, description="The postal address.")
    website: str | None = strawberry.field(default=UNSET, description="The web site.")
    remarks: str | None = strawberry.field(default=UNSET, description="Free remarks.")


@strawberry.input
class CustomerFilterInput:
    view: CustomerViewEnum = strawberry.field(  # type: ignore[valid-type]
        default=CustomerView.ALL, description="Which of your lists to read."
    )
    pool: PoolEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="Customers held in this pool; closed-won customers have left the private "
        "and temporary pools (the CLOSED_WON view lists them), so these lists count what the "
        "caps count.",
    )
    kind: CustomerKindEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only companies, or only private persons."
    )
    category_id: int | None = None
    source_id: int | None = None
    status_id: int | None = None
    industry_id: int | None = None
    maturity_id: int | None = None
    owner_id: int | None = None
    search: str | None = strawberry.field(
        default=None,
        description="Company name, short name, or a contact's name, phone, mobile or e-mail.",
    )


@strawberry.enum(description="What a customer list can be sorted by.")
class CustomerSortField(enum.Enum):
    ACQUIRED_ON = "acquired_on"
    LAST_FOLLOW_UP_AT = "last_follow_up_at"
    NAME = "name"
    CREATED_AT = "created_at"


@strawberry.enum(description="The direction of a sort.")
class SortDirection(enum.Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input
class CustomerSortInput:
    field: CustomerSortField = strawberry.field(
        default=CustomerSortField.CREATED_AT, description="What to sort by."
    )
    direction: SortDirection = strawberry.field(
        default=SortDirection.DESC, description="Ascending or descending."
    )

    def keys(self) -> list[SortKey]:
        """The list's keyset order (the cursors' keys)."""
        return sort_keys(self.field.value, self.direction is SortDirection.DESC)
