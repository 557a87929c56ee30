"""The root Query and Mutation types, merged from every domain's resolvers."""

from __future__ import annotations

from strawberry.tools import merge_types

from gql_crm.resolvers.announcement import AnnouncementMutation, AnnouncementQuery
from gql_crm.resolvers.approval import ApprovalMutation, ApprovalQuery
from gql_crm.resolvers.attachment import AttachmentMutation
from gql_crm.resolvers.auth import AuthMutation, AuthQuery
from gql_crm.resolvers.contact import ContactMutation
from gql_crm.resolvers.customer import CustomerMutation, CustomerQuery
from gql_crm.resolvers.customer_record import CustomerRecordMutation, CustomerRecordQuery
from gql_crm.resolvers.department import DepartmentMutation, DepartmentQuery
from gql_crm.resolvers.expense import ExpenseMutation, ExpenseQuery
from gql_crm.resolvers.follow_up import FollowUpMutation
from gql_crm.resolvers.message import MessageMutation, MessageQuery
from gql_crm.resolvers.notification import NotificationMutation, NotificationQuery
from gql_crm.resolvers.operation_log import OperationLogQuery
from gql_crm.resolvers.opportunity import OpportunityMutation, OpportunityQuery
from gql_crm.resolvers.option import OptionMutation, OptionQuery
from gql_crm.resolvers.order import OrderMutation, OrderQuery
from gql_crm.resolvers.payment import PaymentMutation
from gql_crm.resolvers.pool import PoolMutation
from gql_crm.resolvers.position import PositionMutation, PositionQuery
from gql_crm.resolvers.product import ProductMutation, ProductQuery
from gql_crm.resolvers.report import ReportQuery
from gql_crm.resolvers.setting import SettingMutation, SettingQuery
from gql_crm.resolvers.training import TrainingMutation, TrainingQuery
from gql_crm.resolvers.user import UserMutation, UserQuery
from gql_crm.resolvers.work_log import WorkLogMutation, WorkLogQuery
from gql_crm.resolvers.workbench import WorkbenchQuery
from gql_crm.schema import approval, common, payment, pool
from gql_crm.schema.customer_record import RECORD_TYPES
from gql_crm.subscriptions.approval import ApprovalSubscription
from gql_crm.subscriptions.customer import CustomerSubscription
from gql_crm.subscriptions.notification import NotificationSubscription

Query = merge_types(
    "Query",
    (
        AuthQuery,
        UserQuery,
        DepartmentQuery,
        PositionQuery,
        SettingQuery,
        OptionQuery,
        CustomerQuery,
        CustomerRecordQuery,
        OperationLogQuery,
        NotificationQuery,
        MessageQuery,
        ApprovalQuery,
        WorkLogQuery,
        AnnouncementQuery,
        ProductQuery,
        OpportunityQuery,
        OrderQuery,
        ExpenseQuery,
        ReportQuery,
        WorkbenchQuery,
        TrainingQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        AuthMutation,
        UserMutation,
        DepartmentMutation,
        PositionMutation,
        SettingMutation,
        OptionMutation,
        CustomerMutation,
        PoolMutation,
        ContactMutation,
        FollowUpMutation,
        CustomerRecordMutation,
        NotificationMutation,
        MessageMutation,
        ApprovalMutation,
        WorkLogMutation,
        AnnouncementMutation,
        ProductMutation,
        OpportunityMutation,
        OrderMutation,
        PaymentMutation,
        AttachmentMutation,
        ExpenseMutation,
        TrainingMutation,
    ),
)
Subscription = merge_types(
    "Subscription", (NotificationSubscription, ApprovalSubscription, CustomerSubscription)
)
# Every error type, so clients can spread `... on X` on any of them.
ERROR_TYPES = [
    common.InvalidInputError,
    common.NotFoundError,
    common.ConflictError,
    pool.PoolCapReachedError,
    pool.ClaimBannedError,
    pool.NotClaimableError,
    pool.BatchRefusedError,
    payment.AmountExceededError,
    approval.AlreadyDecidedError,
]
# Implementations of interfaces that fields return only as the interface.
OTHER_TYPES = RECORD_TYPES
