"""Per-request DataLoaders: one SQL statement per relation per level, whatever the fan-out.

A ``Loaders`` registry is built fresh for every request (and every subscription event):
loaders cache per request only, never across requests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from gql_crm.auth.principal import Principal
from gql_crm.db.engine import Reads
from gql_crm.db.models import (
    ApprovalHistory,
    ApprovalStep,
    Attachment,
    AttachmentRecordType,
    CallRecord,
    Complaint,
    Contact,
    Customer,
    CustomerNote,
    DeliveryPlan,
    DeliveryRecord,
    Department,
    Expense,
    FollowUp,
    Invoice,
    MaturityOption,
    OperationLog,
    Opportunity,
    OpportunityChange,
    OpportunityDetail,
    OpportunityStage,
    OptionItem,
    Order,
    OrderLine,
    PaymentPlan,
    PaymentRecord,
    Position,
    Product,
    Refund,
    Schedule,
    ServiceRecord,
    SystemSettings,
    Task,
    User,
    WorkLogComment,
)
from gql_crm.loaders.approval import load_approval_history, load_approval_steps
from gql_crm.loaders.attachment import load_attachments
from gql_crm.loaders.customer import (
    load_contacts,
    load_contacts_by_id,
    load_customers,
    load_follow_ups,
    load_maturity_options,
    load_operation_log,
    load_options,
    load_shared_with,
    load_visible_customers,
)
from gql_crm.loaders.customer_record import (
    load_calls,
    load_complaints,
    load_notes,
    load_schedules,
    load_services,
    load_tasks,
)
from gql_crm.loaders.department import load_children, load_departments
from gql_crm.loaders.message import load_read_at
from gql_crm.loaders.opportunity import (
    load_customer_opportunities,
    load_details,
    load_history,
    load_stages,
)
from gql_crm.loaders.order import (
    CustomerMoney,
    load_customer_expenses,
    load_customer_invoices,
    load_customer_money,
    load_customer_orders,
    load_customer_payment_plans,
    load_customer_payments,
    load_deliveries,
    load_delivery_plans,
    load_invoices,
    load_lines,
    load_order_money,
    load_payment_plans,
    load_payments,
    load_refunds,
)
from gql_crm.loaders.position import load_positions
from gql_crm.loaders.product import load_products
from gql_crm.loaders.user import load_members, load_users
from gql_crm.loaders.work_log import load_work_log_comments
from gql_crm.services.order import OrderMoney
from gql_crm.services.setting import SETTINGS_ID, get_settings

K = TypeVar("K")
V = TypeVar("V")


class Loaders:
    def __init__(self, reads: Reads, principal: Callable[[], Principal] | None = None) -> None:
        # The request's reads: list queries outside the loaders take their turn here too.
        self.reads = reads
        # Loaders of scoped records (opportunities, orders, money) filter by the caller; the
        # principal is asked for lazily, since a WebSocket context learns it after creation.
        self._principal = principal
        self._of: dict[Callable[..., Any], DataLoader[Any, Any]] = {}

    def of(self, load: Callable[[Reads, Sequence[K]], Awaitable[list[V]]]) -> DataLoader[K, V]:
        """The request's one DataLoader for a module-level load function: a new relation
        needs its load function only, not an entry here."""
        found = self._of.get(load)
        if found is None:
            found = self._of[load] = DataLoader(lambda keys: load(self.reads, keys))
        return found

    def scoped(
        self, load: Callable[[Reads, Principal, Sequence[K]], Awaitable[list[V]]]
    ) -> DataLoader[K, V]:
        """``of`` for a load function that keeps what the caller may see."""
        found = self._of.get(load)
        if found is None:
            found = self._of[load] = DataLoader(lambda keys: load(self.reads, self.principal, keys))
        return found

    @property
    def principal(self) -> Principal:
        if self._principal is None:
            raise RuntimeError("these loaders were built without a principal")
        return self._principal()

    async def settings(self) -> SystemSettings:
        """The company settings, read once per request however many fields ask at once."""
        return await self._settings.load(SETTINGS_ID)

    @cached_property
    def _settings(self) -> DataLoader[int, SystemSettings]:
        return DataLoader(lambda keys: self._load_settings(len(keys)))

    async def _load_settings(self, count: int) -> list[SystemSettings]:
        async with self.reads.reader() as session:
            return [await get_settings(session)] * count

    @cached_property
    def user(self) -> DataLoader[int, User | None]:
        return DataLoader(lambda ids: load_users(self.reads, ids))

    @cached_property
    def department_members(self) -> DataLoader[int, list[User]]:
        return DataLoader(lambda ids: load_members(self.reads, ids))

    @cached_property
    def department(self) -> DataLoader[int, Department | None]:
        return DataLoader(lambda ids: load_departments(self.reads, ids))

    @cached_property
    def department_children(self) -> DataLoader[int, list[Department]]:
        return DataLoader(lambda ids: load_children(self.reads, ids))

    @cached_property
    def position(self) -> DataLoader[int, Position | None]:
        return DataLoader(lambda ids: load_positions(self.reads, ids))

    @cached_property
    def customer(self) -> DataLoader[int, Customer | None]:
        return DataLoader(lambda ids: load_customers(self.reads, ids))

    @cached_property
    def visible_customer(self) -> DataLoader[int, Customer | None]:
        return DataLoader(lambda ids: load_visible_customers(self.reads, self.principal, ids))

    @cached_property
    def customer_contacts(self) -> DataLoader[int, list[Contact]]:
        return DataLoader(lambda ids: load_contacts(self.reads, ids))

    @cached_property
    def contact(self) -> DataLoader[int, Contact | None]:
        return DataLoader(lambda ids: load_contacts_by_id(self.reads, ids))

    @cached_property
    def customer_follow_ups(self) -> DataLoader[tuple[int, int], list[FollowUp]]:
        """Keys: (customer id, how many newest)."""
        return DataLoader(lambda keys: load_follow_ups(self.reads, keys))

    @cached_property
    def customer_operation_log(self) -> DataLoader[tuple[int, int], list[OperationLog]]:
        return DataLoader(lambda keys: load_operation_log(self.reads, keys))

    @cached_property
    def customer_shared_with(self) -> DataLoader[int, list[int]]:
        return DataLoader(lambda ids: load_shared_with(self.reads, ids))

    @cached_property
    def option(self) -> DataLoader[int, OptionItem | None]:
        return DataLoader(lambda ids: load_options(self.reads, ids))

    @cached_property
    def maturity(self) -> DataLoader[int, MaturityOption | None]:
        return DataLoader(lambda ids: load_maturity_options(self.reads, ids))

    @cached_property
    def approval_steps(self) -> DataLoader[int, list[ApprovalStep]]:
        return DataLoader(lambda ids: load_approval_steps(self.reads, ids))

    @cached_property
    def approval_history(self) -> DataLoader[int, list[ApprovalHistory]]:
        return DataLoader(lambda ids: load_approval_history(self.reads, ids))

    @cached_property
    def work_log_comments(self) -> DataLoader[int, list[WorkLogComment]]:
        return DataLoader(lambda ids: load_work_log_comments(self.reads, ids))

    @cached_property
    def message_read_at(self) -> DataLoader[tuple[int, int], datetime | None]:
        """Keys: (message id, recipient id)."""
        return DataLoader(lambda keys: load_read_at(self.reads, keys))

    @cached_property
    def product(self) -> DataLoader[int, Product | None]:
        return DataLoader(lambda ids: load_products(self.reads, ids))

    @cached_property
    def opportunity_stage(self) -> DataLoader[int, OpportunityStage | None]:
        return DataLoader(lambda ids: load_stages(self.reads, ids))

    @cached_property
    def customer_opportunities(self) -> DataLoader[tuple[int, int], list[Opportunity]]:
        """Keys: (customer id, how many newest); only those the caller may see."""
        return DataLoader(
            lambda keys: load_customer_opportunities(self.reads, self.principal, keys)
        )

    @cached_property
    def opportunity_history(self) -> DataLoader[int, list[OpportunityChange]]:
        return DataLoader(lambda ids: load_history(self.reads, ids))

    @cached_property
    def opportunity_details(self) -> DataLoader[int, list[OpportunityDetail]]:
        return DataLoader(lambda ids: load_details(self.reads, ids))

    @cached_property
    def customer_orders(self) -> DataLoader[tuple[int, int], list[Order]]:
        """Keys: (customer id, how many newest); only those the caller may see."""
        return DataLoader(lambda keys: load_customer_orders(self.reads, self.principal, keys))

    @cached_property
    def customer_money(self) -> DataLoader[int, CustomerMoney]:
        """Totals per customer over what the caller may see: one statement per level."""
        return DataLoader(lambda ids: load_customer_money(self.reads, self.principal, ids))

    @cached_property
    def order_money(self) -> DataLoader[int, OrderMoney]:
        return DataLoader(lambda ids: load_order_money(self.reads, ids))

    @cached_property
    def order_lines(self) -> DataLoader[int, list[OrderLine]]:
        return DataLoader(lambda ids: load_lines(self.reads, ids))

    @cached_property
    def order_invoices(self) -> DataLoader[int, list[Invoice]]:
        return DataLoader(lambda ids: load_invoices(self.reads, ids))

    @cached_property
    def order_payment_plans(self) -> DataLoader[int, list[PaymentPlan]]:
        return DataLoader(lambda ids: load_payment_plans(self.reads, ids))

    @cached_property
    def order_payments(self) -> DataLoader[int, list[PaymentRecord]]:
        return DataLoader(lambda ids: load_payments(self.reads, ids))

    @cached_property
    def order_refunds(self) -> DataLoader[int, list[Refund]]:
        return DataLoader(lambda ids: load_refunds(self.reads, ids))

    @cached_property
    def line_delivery_plans(self) -> DataLoader[int, list[DeliveryPlan]]:
        return DataLoader(lambda ids: load_delivery_plans(self.reads, ids))

    @cached_property
    def line_deliveries(self) -> DataLoader[int, list[DeliveryRecord]]:
        return DataLoader(lambda ids: load_deliveries(self.reads, ids))

    @cached_property
    def order_attachments(self) -> DataLoader[int, list[Attachment]]:
        return DataLoader(
            lambda ids: load_attachments(
                self.reads, self.principal, AttachmentRecordType.ORDER, ids
            )
        )

    @cached_property
    def customer_attachments(self) -> DataLoader[int, list[Attachment]]:
        return DataLoader(
            lambda ids: load_attachments(
                self.reads, self.principal, AttachmentRecordType.CUSTOMER, ids
            )
        )

    # Customer records per (customer id, how many); live records only.
    @cached_property
    def customer_tasks(self) -> DataLoader[tuple[int, int], list[Task]]:
        return DataLoader(lambda keys: load_tasks(self.reads, keys))

    @cached_property
    def customer_schedules(self) -> DataLoader[tuple[int, int, datetime], list[Schedule]]:
        """Keys: (customer id, how many, now to the minute)."""
        return DataLoader(lambda keys: load_schedules(self.reads, keys))

    @cached_property
    def customer_notes(self) -> DataLoader[tuple[int, int], list[CustomerNote]]:
        return DataLoader(lambda keys: load_notes(self.reads, keys))

    @cached_property
    def customer_calls(self) -> DataLoader[tuple[int, int], list[CallRecord]]:
        return DataLoader(lambda keys: load_calls(self.reads, keys))

    @cached_property
    def customer_complaints(self) -> DataLoader[tuple[int, int], list[Complaint]]:
        return DataLoader(lambda keys: load_complaints(self.reads, keys))

    @cached_property
    def customer_services(self) -> DataLoader[tuple[int, int], list[ServiceRecord]]:
        return DataLoader(lambda keys: load_services(self.reads, keys))

    # Money records per (customer id, how many), over the orders / expenses the caller sees.
    @cached_property
    def customer_payment_plans(self) -> DataLoader[tuple[int, int], list[tuple[PaymentPlan, bool]]]:
        return DataLoader(
            lambda keys: load_customer_payment_plans(self.reads, self.principal, keys)
        )

    @cached_property
    def customer_payments(self) -> DataLoader[tuple[int, int], list[PaymentRecord]]:
        return DataLoader(lambda keys: load_customer_payments(self.reads, self.principal, keys))

    @cached_property
    def customer_invoices(self) -> DataLoader[tuple[int, int], list[Invoice]]:
        return DataLoader(lambda keys: load_customer_invoices(self.reads, self.principal, keys))

    @cached_property
    def customer_expenses(self) -> DataLoader[tuple[int, int], list[Expense]]:
        return DataLoader(lambda keys: load_customer_expenses(self.reads, self.principal, keys))
