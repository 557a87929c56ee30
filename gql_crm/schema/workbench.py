from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from gql_crm.schema.announcement import AnnouncementType
from gql_crm.schema.customer import CustomerType
from gql_crm.schema.customer_record import (
    CallRecordType,
    ComplaintType,
    ScheduleType,
    TaskType,
)
from gql_crm.schema.order import DeliveryPlanType, OrderType
from gql_crm.schema.payment import PaymentPlanType
from gql_crm.services.workbench import DeliveryReminder, Receivable, Workbench


@strawberry.type(description="A payment plan not yet met, due soon or overdue.")
class ReceivableType:
    plan: PaymentPlanType = strawberry.field(description="The payment plan due.")
    order: OrderType = strawberry.field(description="The order it belongs to.")
    overdue: bool = strawberry.field(description="Whether its due day has passed.")

    @classmethod
    def from_model(cls, r: Receivable) -> ReceivableType:
        # Two rows and a flag computed by the workbench, each row wrapped in its own type.
        return cls(
            plan=PaymentPlanType.from_model(r.plan),
            order=OrderType.from_model(r.order),
            overdue=r.overdue,
        )


@strawberry.type(description="A delivery plan due soon (or overdue) not yet delivered in full.")
class DeliveryReminderType:
    plan: DeliveryPlanType = strawberry.field(description="The delivery due.")
    order: OrderType = strawberry.field(description="The order it belongs to.")
    delivered_quantity: Decimal = strawberry.field(
        description="How much of the order line has been delivered so far."
    )

    @classmethod
    def from_model(cls, r: DeliveryReminder) -> DeliveryReminderType:
        # Two rows and the quantity the workbench summed, each row wrapped in its own type.
        return cls(
            plan=DeliveryPlanType.from_model(r.plan),
            order=OrderType.from_model(r.order),
            delivered_quantity=r.delivered,
        )


@strawberry.type(
    name="Workbench",
    description="What needs your attention. Lists are capped at `first`; orders and "
    "sales are those you may see; the month is the company's.",
)
class WorkbenchType:
    today: date = strawberry.field(
        description="Today in the company's time zone: the day the workbench is about."
    )
    schedules: list[ScheduleType] = strawberry.field(
        description="Your appointments in the next 7 days, soonest first."
    )
    tasks: list[TaskType] = strawberry.field(description="Your open to-dos by due time.")
    announcements: list[AnnouncementType] = strawberry.field(description="Newest first.")
    receivables: list[ReceivableType] = strawberry.field(
        description="Payment plans due within 30 days or overdue, not yet met."
    )
    call_records: list[CallRecordType] = strawberry.field(
        description="Calls you handle that are not processed yet, oldest first."
    )
    complaints: list[ComplaintType] = strawberry.field(
        description="Complaints you handle that are not resolved yet, oldest first."
    )
    delivery_reminders: list[DeliveryReminderType] = strawberry.field(
        description="Delivery plans due within 7 days or overdue, not delivered in full."
    )
    my_sales_this_month: Decimal = strawberry.field(
        description="Amounts of your orders signed this month."
    )
    company_sales_this_month: Decimal | None = strawberry.field(
        description="Amounts of the whole company's orders signed this month, whatever your "
        "scope; null when the company shows it only to those who see the whole company "
        "(system setting staffSeeCompanySales)."
    )
    releasing_customers: list[CustomerType] = strawberry.field(
        description="Your customers that fall back to the public pool within 3 days."
    )

    @classmethod
    def from_model(cls, w: Workbench) -> WorkbenchType:
        # Not a row: the workbench's lists, each item wrapped in its own type.
        return cls(
            today=w.today,
            schedules=[ScheduleType.from_model(r) for r in w.schedules],
            tasks=[TaskType.from_model(r) for r in w.tasks],
            announcements=[AnnouncementType.from_model(r) for r in w.announcements],
            receivables=[ReceivableType.from_model(r) for r in w.receivables],
            call_records=[CallRecordType.from_model(r) for r in w.calls],
            complaints=[ComplaintType.from_model(r) for r in w.complaints],
            delivery_reminders=[DeliveryReminderType.from_model(r) for r in w.deliveries],
            my_sales_this_month=w.my_sales,
            company_sales_this_month=w.company_sales,
            releasing_customers=[CustomerType.from_model(c) for c in w.releasing],
        )
