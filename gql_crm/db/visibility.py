"""Who may see which row: one SQL condition per entity kind, and nowhere else.

Every read path (lists and their counts, search, loaders, aggregates, the compiled SQL, the
recycle bins, the operation log, downloads) filters with these conditions, so a rule changed
here changes everywhere. A row the caller may not see answers exactly as a missing one.
Python twins for single events (``customer_visible``) are held to the SQL by
``tests/auth/test_visibility.py``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from gql_crm.auth.permissions import ADMIN_EDIT, Action, Module, basic
from gql_crm.auth.principal import Principal
from gql_crm.db.models import (
    Announcement,
    Approval,
    ApprovalStep,
    Attachment,
    AttachmentRecordType,
    Contact,
    Customer,
    CustomerShare,
    Expense,
    Notification,
    OperationLog,
    Opportunity,
    Order,
    Pool,
)
from gql_crm.db.models.api_key import ApiKey
from gql_crm.db.models.mailing import Mailing
from gql_crm.db.models.outbox import OutboxAttempt, OutboxMessage
from gql_crm.db.models.training import TrainingAttendee, TrainingCourse, TrainingProject
from gql_crm.db.models.webhook import WebhookEndpoint
from gql_crm.db.scopes import scope_filter

Column = InstrumentedAttribute[int] | InstrumentedAttribute[int | None]
OPEN_POOLS = (Pool.PUBLIC, Pool.SPECIAL)


def _shared_with(principal: Principal, customer: Any = Customer) -> ColumnElement[bool]:
    return exists().where(
        CustomerShare.customer_id == customer.id, CustomerShare.user_id == principal.user_id
    )


def _customer_reach(principal: Principal) -> ColumnElement[bool]:
    """Public and special pools, owners within the data scope, customers shared with me."""
    return or_(
        Customer.pool.in_(OPEN_POOLS),
        scope_filter(principal, Customer.owner_id),
        _shared_with(principal),
    )


def customer(principal: Principal) -> ColumnElement[bool]:
    """Live customers the principal may see."""
    return and_(Customer.deleted_at.is_(None), _customer_reach(principal))


def customer_visible(principal: Principal, pool: Pool, owner_id: int | None, shared: bool) -> bool:
    """``customer`` for one live customer already in hand (an event, a locked row)."""
    return pool in OPEN_POOLS or principal.can_see_owner(owner_id) or shared


def _on(key: Column, parent: Any, rule: ColumnElement[bool]) -> ColumnElement[bool]:
    """Rows whose ``key`` names a ``parent`` row that ``rule`` lets through; correlated to the
    row alone, so that a statement joining the parent's table works too."""
    return exists().where(parent.id == key, rule).correlate_except(parent)


def binned(
    principal: Principal, model: Any, delete_permission: str, reach: ColumnElement[bool]
) -> ColumnElement[bool]:
    """The caller's recycle bin of ``model``: rows they deleted and would still see restored
    (``reach``, the model's rule without its 'not deleted'), while they may delete."""
    if not principal.has(delete_permission):
        return false()
    return and_(model.deleted_at.is_not(None), model.deleted_by_id == principal.user_id, reach)


def binned_customer(principal: Principal) -> ColumnElement[bool]:
    return binned(
        principal, Customer, basic(Module.CUSTOMER, Action.DELETE), _customer_reach(principal)
    )


def contact_details(principal: Principal, customer: Any = Customer) -> ColumnElement[bool]:
    """Customers whose contacts' phones and e-mails the principal sees unmasked (F1.3): all
    with the contact-details right, otherwise their own and those shared with them.
    ``customer``: the customers' table or an alias of it."""
    if principal.sees_contact_details:
        return true()
    return or_(customer.owner_id == principal.user_id, _shared_with(principal, customer))


def on_customer(
    principal: Principal, owner_column: Column, customer_column: Column
) -> ColumnElement[bool]:
    """Records hanging on a customer (opportunities, orders, expenses).

    The customer must be visible, and either the record's owner or the customer's owner must
    be within the data scope: a manager sees every order on a subordinate's customer, while a
    colleague a customer is shared with (or anyone, for a public-pool customer) sees only the
    records they or their subordinates own. Records without a customer (expenses) go by
    their owner alone.
    """
    return _on_customer(principal, owner_column, customer_column, Customer.deleted_at.is_(None))


def _on_customer(
    principal: Principal, owner_column: Column, customer_column: Column, *customer_state: Any
) -> ColumnElement[bool]:
    on_reachable_customer = exists().where(
        Customer.id == customer_column,
        _customer_reach(principal),
        or_(scope_filter(principal, owner_column), scope_filter(principal, Customer.owner_id)),
        *customer_state,
    )
    return or_(
        on_reachable_customer,
        and_(customer_column.is_(None), scope_filter(principal, owner_column)),
    )


def assigned_record(principal: Principal, model: Any) -> ColumnElement[bool]:
    """Live customer records (tasks, schedules, call records, complaints...) the principal
    may see: those on a customer they may see, and those assigned to them — assignment is
    access to the record itself (not to the rest of its customer)."""
    live_customer = exists().where(Customer.id == model.customer_id, Customer.deleted_at.is_(None))
    return and_(
        model.deleted_at.is_(None),
        or_(
            and_(model.owner_id == principal.user_id, live_customer),
            exists().where(Customer.id == model.customer_id, customer(principal)),
        ),
    )


def approval(principal: Principal) -> ColumnElement[bool]:
    """Applicant, any approver, or a manager whose scope covers the applicant."""
    is_approver = exists().where(
        ApprovalStep.approval_id == Approval.id, ApprovalStep.approver_id == principal.user_id
    )
    return or_(
        Approval.applicant_id == principal.user_id,
        is_approver,
        scope_filter(principal, Approval.applicant_id),
    )


def training_project(principal: Principal) -> ColumnElement[bool]:
    """Training projects whose owner is within the data scope."""
    return scope_filter(principal, TrainingProject.owner_id)


def training_course(principal: Principal) -> ColumnElement[bool]:
    """Live courses of a visible project."""
    return and_(TrainingCourse.deleted_at.is_(None), _course_reach(principal))


def _course_reach(principal: Principal) -> ColumnElement[bool]:
    return _on(TrainingCourse.project_id, TrainingProject, training_project(principal))


def binned_training_course(principal: Principal) -> ColumnElement[bool]:
    delete = basic(Module.TRAINING, Action.DELETE)
    return binned(principal, TrainingCourse, delete, _course_reach(principal))


def training_attendee(principal: Principal) -> ColumnElement[bool]:
    """Attendances on a visible course of a customer the principal may see."""
    on_course = _on(TrainingAttendee.course_id, TrainingCourse, training_course(principal))
    return and_(on_course, _on(TrainingAttendee.customer_id, Customer, customer(principal)))


def opportunity(principal: Principal) -> ColumnElement[bool]:
    return on_customer(principal, Opportunity.owner_id, Opportunity.customer_id)


def order(principal: Principal) -> ColumnElement[bool]:
    """Live orders on a visible customer whose owner (or the customer's) is in scope."""
    return and_(
        Order.deleted_at.is_(None), on_customer(principal, Order.owner_id, Order.customer_id)
    )


def binned_order(principal: Principal) -> ColumnElement[bool]:
    reach = _on_customer(principal, Order.owner_id, Order.customer_id)
    return binned(principal, Order, basic(Module.ORDER, Action.DELETE), reach)


def binned_record(principal: Principal, model: Any, delete_permission: str) -> ColumnElement[bool]:
    reach = or_(
        model.owner_id == principal.user_id,
        exists().where(Customer.id == model.customer_id, _customer_reach(principal)),
    )
    return binned(principal, model, delete_permission, reach)


def expense(principal: Principal) -> ColumnElement[bool]:
    return on_customer(principal, Expense.owner_id, Expense.customer_id)


def attachment(principal: Principal) -> ColumnElement[bool]:
    """Live attachments on a record the principal may see, by that record's own rule."""
    on_visible_record: list[ColumnElement[bool]] = []
    if principal.has(basic(Module.ORDER, Action.VIEW)):
        on_visible_record.append(
            and_(
                Attachment.record_type == AttachmentRecordType.ORDER,
                exists().where(Order.id == Attachment.record_id, order(principal)),
            )
        )
    if principal.has(basic(Module.CUSTOMER, Action.VIEW)):
        on_visible_record.append(
            and_(
                Attachment.record_type == AttachmentRecordType.CUSTOMER,
                exists().where(Customer.id == Attachment.record_id, customer(principal)),
            )
        )
    return and_(Attachment.deleted_at.is_(None), or_(false(), *on_visible_record))


def announcement(principal: Principal) -> ColumnElement[bool]:
    """Published, not deleted, and the reader was in its audience (or wrote it)."""
    notified = exists().where(
        Notification.user_id == principal.user_id,
        Notification.link_type == "announcement",
        Notification.link_id == Announcement.id,
    )
    return and_(
        Announcement.deleted_at.is_(None),
        Announcement.published_at.is_not(None),
        or_(Announcement.author_id == principal.user_id, notified),
    )


def operation_log(principal: Principal) -> ColumnElement[bool]:
    """Entries by actors within the caller's data scope, except entries about customers (live
    or binned, and their contacts) that the caller may not see."""
    hidden_customers = select(Customer.id).where(not_(_customer_reach(principal)))
    hidden_contacts = select(Contact.id).where(Contact.customer_id.in_(hidden_customers))
    return and_(
        scope_filter(principal, OperationLog.actor_id),
        not_(
            or_(
                and_(
                    OperationLog.entity_type == "customer",
                    OperationLog.entity_id.in_(hidden_customers),
                ),
                and_(
                    OperationLog.entity_type == "contact",
                    OperationLog.entity_id.in_(hidden_contacts),
                ),
            )
        ),
    )


def api_key(principal: Principal) -> ColumnElement[bool]:
    """Your own keys; with admin:edit (who may deactivate any account anyway), anyone's."""
    if principal.has(ADMIN_EDIT):
        return true()
    return ApiKey.user_id == principal.user_id


def mailing(principal: Principal) -> ColumnElement[bool]:
    """Messages sent by you or by the people in your data scope."""
    return scope_filter(principal, Mailing.created_by_id)


def webhook_endpoint(principal: Principal) -> ColumnElement[bool]:
    """Your own endpoints; with admin:edit, anyone's."""
    if principal.has(ADMIN_EDIT):
        return true()
    return WebhookEndpoint.owner_id == principal.user_id


def webhook_delivery(principal: Principal) -> ColumnElement[bool]:
    """Deliveries (outbox messages) to the endpoints you may see."""
    return and_(
        OutboxMessage.kind == "webhook",
        OutboxMessage.target_id.in_(select(WebhookEndpoint.id).where(webhook_endpoint(principal))),
    )


def outbox_attempt(principal: Principal) -> ColumnElement[bool]:
    """The delivery log of the deliveries you may see."""
    return OutboxAttempt.message_id.in_(select(OutboxMessage.id).where(webhook_delivery(principal)))
