"""All models: the common ones re-exported by name, and every model module imported, so that
metadata (Alembic, the tests' clean-up) sees every table, a new domain's included."""

import importlib
import pkgutil

from gql_crm.db.models.announcement import Announcement, Audience
from gql_crm.db.models.approval import (
    Approval,
    ApprovalAction,
    ApprovalHistory,
    ApprovalStatus,
    ApprovalStep,
    ApprovalType,
)
from gql_crm.db.models.attachment import Attachment, AttachmentRecordType
from gql_crm.db.models.auth import LoginThrottle
from gql_crm.db.models.contact import Contact
from gql_crm.db.models.customer import (
    BanReason,
    Customer,
    CustomerBan,
    CustomerKind,
    CustomerShare,
    TemporaryOrigin,
)
from gql_crm.db.models.customer_record import (
    CallRecord,
    Complaint,
    ComplaintStatus,
    CustomerNote,
    Schedule,
    ServiceRecord,
    Task,
)
from gql_crm.db.models.department import Department
from gql_crm.db.models.expense import Expense, ExpenseKind, ExpenseStatus
from gql_crm.db.models.follow_up import FollowUp
from gql_crm.db.models.message import Message, MessageRecipient
from gql_crm.db.models.notification import Notification, NotificationCategory
from gql_crm.db.models.operation_log import OperationLog
from gql_crm.db.models.opportunity import (
    DetailKind,
    Opportunity,
    OpportunityChange,
    OpportunityDetail,
    OpportunityStage,
    StageOutcome,
)
from gql_crm.db.models.option import FormField, FormName, OptionItem, OptionList
from gql_crm.db.models.order import (
    DeliveryPlan,
    DeliveryRecord,
    Invoice,
    Order,
    OrderLine,
)
from gql_crm.db.models.payment import PaymentPlan, PaymentRecord, Refund
from gql_crm.db.models.position import DataScope, Position
from gql_crm.db.models.product import Product
from gql_crm.db.models.report import DailyReport
from gql_crm.db.models.setting import MaturityOption, Pool, SystemSettings
from gql_crm.db.models.user import User
from gql_crm.db.models.work_log import WorkLog, WorkLogComment

__all__ = [
    "Announcement",
    "Approval",
    "ApprovalAction",
    "ApprovalHistory",
    "ApprovalStatus",
    "ApprovalStep",
    "ApprovalType",
    "Attachment",
    "AttachmentRecordType",
    "Audience",
    "BanReason",
    "CallRecord",
    "Complaint",
    "ComplaintStatus",
    "Contact",
    "Customer",
    "CustomerBan",
    "CustomerKind",
    "CustomerNote",
    "CustomerShare",
    "DailyReport",
    "DataScope",
    "DeliveryPlan",
    "DeliveryRecord",
    "Department",
    "DetailKind",
    "Expense",
    "ExpenseKind",
    "ExpenseStatus",
    "FollowUp",
    "FormField",
    "FormName",
    "Invoice",
    "LoginThrottle",
    "MaturityOption",
    "Message",
    "MessageRecipient",
    "Notification",
    "NotificationCategory",
    "OperationLog",
    "Opportunity",
    "OpportunityChange",
    "OpportunityDetail",
    "OpportunityStage",
    "OptionItem",
    "OptionList",
    "Order",
    "OrderLine",
    "PaymentPlan",
    "PaymentRecord",
    "Pool",
    "Position",
    "Product",
    "Refund",
    "Schedule",
    "ServiceRecord",
    "StageOutcome",
    "SystemSettings",
    "Task",
    "TemporaryOrigin",
    "User",
    "WorkLog",
    "WorkLogComment",
]

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
