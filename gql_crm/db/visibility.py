"""Who may see which row: one SQL condition per entity kind, and nowhere else.

Every read path (lists and their counts, search, loaders, aggregates, the compiled SQL, the
recycle bins, the operation log, downloads) filters with these conditions, so a rule changed
here changes everywhere. A row the caller may not see answers exactly as a missing one.
Python twins for single events (``customer_visible``) are held to the SQL by
``tests/auth/test_visibility.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    and_,
    exists,
    false,
    not_,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import InstrumentedAttribute, aliased

from gql_crm.auth.permissions import ADMIN_EDIT, Action, Advanced, Module, basic
from gql_crm.auth.principal import Principal
from gql_crm.db.arrays import Among
from gql_crm.db.models import (
    Announcement,
    Approval,
    ApprovalStep,
    Attachment,
    AttachmentRecordType,
    Contact,
    Customer,
    CustomerShare,
    DataScope,
    Expense,
    FollowUp,
    Notification,
    OperationLog,
    Opportunity,
    Order,
    Pool,
)
from gql_crm.db.models.api_key import ApiKey
from gql_crm.db.models.bookmark import Bookmark
from gql_crm.db.models.campaign import Campaign, CampaignMember
from gql_crm.db.models.department import Department
from gql_crm.db.models.diary import DiaryEntry
from gql_crm.db.models.document import Document, DocumentFolder, DocumentShare, DocumentSpace
from gql_crm.db.models.job import Job
from gql_crm.db.models.knowledge import ArticleStatus, KnowledgeArticle
from gql_crm.db.models.mailing import Mailing
from gql_crm.db.models.note import Note
from gql_crm.db.models.outbox import OutboxAttempt, OutboxMessage
from gql_crm.db.models.training import TrainingAttendee, TrainingCourse, TrainingProject
from gql_crm.db.models.user import User
from gql_crm.db.models.webhook import WebhookEndpoint
from gql_crm.db.scopes import scope_filter

Column = InstrumentedAttribute[int] | InstrumentedAttribute[int | None]
OPEN_POOLS = (Pool.PUBLIC, Pool.SPECIAL)


def _shared_with(
    principal: Principal, customer: Any = Customer, probed: bool = False
) -> ColumnElement[bool]:
    """``customer`` is shared with the principal. ``probed``: for a rule tested only on rows
    already chosen (a page's masks), each row probes the shares' key instead of the
    principal's shares being collected first, which costs more than a page of probes (a
    salesperson on the benchmark data has 201)."""
    if probed:
        return exists().where(
            CustomerShare.customer_id == customer.id, CustomerShare.user_id == principal.user_id
        )
    shares = select(CustomerShare.customer_id).where(CustomerShare.user_id == principal.user_id)
    return Among(customer.id, shares)


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


def follow_up(principal: Principal) -> ColumnElement[bool]:
    """Live follow-ups of the customers the principal may see."""
    return and_(
        FollowUp.deleted_at.is_(None), _on(FollowUp.customer_id, Customer, customer(principal))
    )


def binned_follow_up(principal: Principal) -> ColumnElement[bool]:
    """Follow-ups the principal deleted, on a customer they may still reach."""
    reach = exists().where(Customer.id == FollowUp.customer_id, _customer_reach(principal))
    return binned(principal, FollowUp, basic(Module.FOLLOWUP, Action.DELETE), reach)


def contact(principal: Principal) -> ColumnElement[bool]:
    """Contacts of the customers the principal may see."""
    return _on(Contact.customer_id, Customer, customer(principal))


def contact_details(
    principal: Principal, customer: Any = Customer, probed: bool = False
) -> ColumnElement[bool]:
    """Customers whose contacts' phones and e-mails the principal sees unmasked (F1.3): all
    with the contact-details right, otherwise their own and those shared with them.
    ``customer``: the customers' table or an alias of it; ``probed`` as for ``_shared_with``."""
    if principal.sees_contact_details:
        return true()
    shared = _shared_with(principal, customer, probed)
    return or_(customer.owner_id == principal.user_id, shared)


def on_customer(
    principal: Principal, owner_column: Column, customer_column: Column, narrowed: bool = False
) -> ColumnElement[bool]:
    """Records hanging on a customer (opportunities, orders, expenses).

    The customer must be visible, and either the record's owner or the customer's owner must
    be within the data scope: a manager sees every order on a subordinate's customer, while a
    colleague a customer is shared with (or anyone, for a public-pool customer) sees only the
    records they or their subordinates own. Records without a customer (expenses) go by
    their owner alone.

    ``narrowed``: for a statement that reads the table as a whole (a list, a count), the
    records are first narrowed to the candidates an index finds (``_among_candidates``).
    A statement that reads the records by a key of their own (a customer's, an id) leaves
    it out: the candidates would be found and then mostly not read.
    """
    return _on_customer(
        principal, owner_column, customer_column, Customer.deleted_at.is_(None),
        narrowed=narrowed,
    )  # fmt: skip


def _on_customer(
    principal: Principal,
    owner_column: Column,
    customer_column: Column,
    *customer_state: Any,
    narrowed: bool = False,
) -> ColumnElement[bool]:
    owner_in_scope = scope_filter(principal, Customer.owner_id)
    on_reachable_customer = exists().where(
        Customer.id == customer_column,
        _customer_reach(principal),
        or_(scope_filter(principal, owner_column), owner_in_scope),
        *customer_state,
    )
    rule: ColumnElement[bool] = on_reachable_customer
    if customer_column.nullable:
        # Left out where every record has a customer: a rule of one EXISTS is one that
        # PostgreSQL may join (counting a department's records), where an OR around it is
        # tested row by row.
        rule = or_(rule, and_(customer_column.is_(None), scope_filter(principal, owner_column)))
    if not narrowed:
        return rule
    key = owner_column.class_.id
    return and_(_among_candidates(principal, key, owner_column, customer_column), rule)


def _among_candidates(
    principal: Principal,
    key: ColumnElement[Any],
    owner_column: Column,
    customer_column: Column,
) -> ColumnElement[bool]:
    """``key`` names one of the records ``_on_customer`` may let through: those of owners in
    scope and those on the customers of owners in scope. Implied by the rule, and written so
    that PostgreSQL finds the candidates by index, then each record by its key, instead of
    testing the rule on every row of the table."""
    if not _finds_candidates(principal):
        return true()
    return Among(key, _candidates(principal, owner_column, customer_column))


def _finds_candidates(principal: Principal) -> bool:
    """Whether a caller's records are looked for among candidates found by index first:
    only for a caller who sees their own records, which are few. A department's are many
    (on the benchmark data, 3,853 orders of 11 salespeople, and 8 ms to find them, where
    joining the rule to every order took less), and a page of them is found soon in any
    order."""
    return principal.data_scope is DataScope.OWN


def _candidates(
    principal: Principal,
    owner_column: Column,
    customer_column: Column,
    *where: Any,
    also: Sequence[Any] = (),
) -> CompoundSelect[Any]:
    """The ids (and the columns ``also``) of the records of owners in scope and of those on
    their customers (that pass ``where``); the records' index by customer probed once per
    customer."""
    record = (owner_column.class_.id, *also)
    their_customers = select(Customer.id).where(scope_filter(principal, Customer.owner_id))
    return union(  # self-contained: never correlated to a statement reading the same table
        select(*record).where(scope_filter(principal, owner_column), *where).correlate(None),
        select(*record)
        .where(Among(customer_column.expression, their_customers), *where)
        .correlate(None),
    )


def assigned_record(principal: Principal, model: Any) -> ColumnElement[bool]:
    """Live customer records (tasks, schedules, call records, complaints...) the principal
    may see: those on a customer they may see, and those assigned to them — assignment is
    access to the record itself (not to the rest of its customer)."""
    return or_(
        own_record(principal, model),
        and_(
            model.deleted_at.is_(None),
            exists().where(Customer.id == model.customer_id, customer(principal)),
        ),
    )


def own_record(principal: Principal, model: Any) -> ColumnElement[bool]:
    """The live customer records assigned to the principal (on a live customer): theirs to
    see whoever may see the customer. A customer they may see is live too, so among their
    own records this is ``assigned_record`` without the scope test, which an index serves."""
    return and_(
        model.owner_id == principal.user_id,
        model.deleted_at.is_(None),
        exists().where(Customer.id == model.customer_id, Customer.deleted_at.is_(None)),
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


def campaign(principal: Principal) -> ColumnElement[bool]:
    """Live campaigns whose owner is within the data scope."""
    return and_(Campaign.deleted_at.is_(None), scope_filter(principal, Campaign.owner_id))


def binned_campaign(principal: Principal) -> ColumnElement[bool]:
    reach = scope_filter(principal, Campaign.owner_id)
    return binned(principal, Campaign, basic(Module.CAMPAIGN, Action.DELETE), reach)


def campaign_member(principal: Principal) -> ColumnElement[bool]:
    """Members of a visible campaign that are customers the principal may see."""
    on_campaign = _on(CampaignMember.campaign_id, Campaign, campaign(principal))
    return and_(on_campaign, _on(CampaignMember.customer_id, Customer, customer(principal)))


def opportunity(principal: Principal, narrowed: bool = False) -> ColumnElement[bool]:
    return on_customer(principal, Opportunity.owner_id, Opportunity.customer_id, narrowed)


def order(principal: Principal, narrowed: bool = False) -> ColumnElement[bool]:
    """Live orders on a visible customer whose owner (or the customer's) is in scope;
    ``narrowed`` as for ``on_customer``."""
    reach = _on_customer(
        principal, Order.owner_id, Order.customer_id, Customer.deleted_at.is_(None),
        narrowed=narrowed,
    )  # fmt: skip
    return and_(Order.deleted_at.is_(None), reach)


def order_candidates(
    principal: Principal, *where: Any, also: Sequence[Any] = ()
) -> CompoundSelect[Any] | None:
    """The ids (and the columns ``also``) of the orders ``order`` may let through, a superset
    found by index (the caller's own orders and those on their customers), that pass
    ``where``; None for a caller whose candidates are not looked for (``_finds_candidates``)."""
    if not _finds_candidates(principal):
        return None
    return _candidates(principal, Order.owner_id, Order.customer_id, *where, also=also)


def binned_order(principal: Principal) -> ColumnElement[bool]:
    reach = _on_customer(principal, Order.owner_id, Order.customer_id)
    return binned(principal, Order, basic(Module.ORDER, Action.DELETE), reach)


def binned_record(principal: Principal, model: Any, delete_permission: str) -> ColumnElement[bool]:
    reach = or_(
        model.owner_id == principal.user_id,
        exists().where(Customer.id == model.customer_id, _customer_reach(principal)),
    )
    return binned(principal, model, delete_permission, reach)


def expense(principal: Principal, narrowed: bool = False) -> ColumnElement[bool]:
    """Live income and expense records, by the rule of records on a customer."""
    return and_(
        Expense.deleted_at.is_(None),
        on_customer(principal, Expense.owner_id, Expense.customer_id, narrowed),
    )


def binned_expense(principal: Principal) -> ColumnElement[bool]:
    reach = _on_customer(principal, Expense.owner_id, Expense.customer_id)
    return binned(principal, Expense, basic(Module.EXPENSE, Action.DELETE), reach)


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
    on_visible_record.append(
        and_(
            Attachment.record_type == AttachmentRecordType.ARTICLE,
            exists().where(
                KnowledgeArticle.id == Attachment.record_id, knowledge_article(principal)
            ),
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


def counted_for(principal: Principal, person_column: Column) -> ColumnElement[bool]:
    """Statistics and commission: a record counts for the person it is attributed to (an
    order's owner, a customer's creator, a follow-up's author), and the caller's figures are
    those of the people in their data scope, whoever's customer the record is on."""
    return scope_filter(principal, person_column)


def counts_customer(customer_id: Any) -> ColumnElement[bool]:
    """Statistics and commission: a record counts while its customer is not in the recycle
    bin. Asked as "no deleted customer of that id" (the column is a foreign key, so the
    customer exists): deleted customers are few, so the database looks for them rather than
    matching every record to all the live ones."""
    return ~exists().where(Customer.id == customer_id, Customer.deleted_at.is_not(None))


def job(principal: Principal) -> ColumnElement[bool]:
    """Imports and exports: their owner's, and every one for administrators."""
    if principal.has(ADMIN_EDIT):
        return true()
    return Job.owner_id == principal.user_id


# ---- documents: the owner's, those in folders shared with the caller, the public ones -----


def _shared_folder(principal: Principal, folder: Any, write: bool) -> ColumnElement[bool]:
    """``folder`` is (beneath) a live folder shared with the caller or their department,
    with the right to change it when ``write``."""
    shared = aliased(DocumentFolder)
    with_me = [DocumentShare.user_id == principal.user_id]
    if principal.department_id is not None:
        with_me.append(DocumentShare.department_id == principal.department_id)
    return (
        exists()
        .where(
            DocumentShare.folder_id == shared.id,
            shared.deleted_at.is_(None),
            folder.path.startswith(shared.path),
            or_(*with_me),
            DocumentShare.can_write if write else true(),
        )
        .correlate_except(shared, DocumentShare)
    )


def _document_reach(principal: Principal, model: Any, write: bool) -> ColumnElement[bool]:
    """Folders or documents the caller owns, public ones (to change them: with the right to
    manage them), and those in folders shared with the caller."""
    public = model.space == DocumentSpace.PUBLIC
    if write:
        public = and_(
            public, true() if principal.has(Advanced.MANAGE_PUBLIC_DOCUMENTS) else false()
        )
    if model is DocumentFolder:
        shared = _shared_folder(principal, DocumentFolder, write)
    else:
        folder = aliased(DocumentFolder)
        shared = (
            exists()
            .where(folder.id == model.folder_id, _shared_folder(principal, folder, write))
            .correlate_except(folder)
        )
    return or_(model.owner_id == principal.user_id, public, shared)


def document_folder(principal: Principal) -> ColumnElement[bool]:
    """Live folders the caller may open."""
    if not principal.has(basic(Module.DOCUMENT, Action.VIEW)):
        return false()
    return and_(
        DocumentFolder.deleted_at.is_(None), _document_reach(principal, DocumentFolder, False)
    )


def document(principal: Principal) -> ColumnElement[bool]:
    """Live documents the caller may read and download."""
    if not principal.has(basic(Module.DOCUMENT, Action.VIEW)):
        return false()
    return and_(Document.deleted_at.is_(None), _document_reach(principal, Document, False))


def writable_document_folder(principal: Principal) -> ColumnElement[bool]:
    """Folders the caller may change (and add to): their own, shared with them to change,
    and public ones with the right to manage them."""
    return _document_reach(principal, DocumentFolder, True)


def writable_document(principal: Principal) -> ColumnElement[bool]:
    return _document_reach(principal, Document, True)


def document_share(principal: Principal) -> ColumnElement[bool]:
    """Shares of the folders the caller may change (a reader does not see who else reads)."""
    return _on(
        DocumentShare.folder_id,
        DocumentFolder,
        and_(DocumentFolder.deleted_at.is_(None), writable_document_folder(principal)),
    )


def binned_document_folder(principal: Principal) -> ColumnElement[bool]:
    delete = basic(Module.DOCUMENT, Action.DELETE)
    return binned(principal, DocumentFolder, delete, writable_document_folder(principal))


def binned_document(principal: Principal) -> ColumnElement[bool]:
    delete = basic(Module.DOCUMENT, Action.DELETE)
    return binned(principal, Document, delete, writable_document(principal))


# ---- the knowledge base --------------------------------------------------------------------


def knowledge_category(principal: Principal) -> ColumnElement[bool]:
    """The category tree is the same for everyone."""
    return true()


def knowledge_article(principal: Principal) -> ColumnElement[bool]:
    """Live articles: published ones for everyone, drafts for those who may edit."""
    if principal.has(Advanced.EDIT_KNOWLEDGE):
        return KnowledgeArticle.deleted_at.is_(None)
    return and_(
        KnowledgeArticle.deleted_at.is_(None),
        KnowledgeArticle.status == ArticleStatus.PUBLISHED,
    )


def binned_knowledge_article(principal: Principal) -> ColumnElement[bool]:
    return binned(principal, KnowledgeArticle, Advanced.EDIT_KNOWLEDGE, true())


# ---- personal tools: the notepad, bookmarks, the work diary --------------------------------


def note(principal: Principal) -> ColumnElement[bool]:
    """Your own notes: no one else ever sees them."""
    return Note.owner_id == principal.user_id


def bookmark(principal: Principal) -> ColumnElement[bool]:
    """Your own bookmarks."""
    return Bookmark.owner_id == principal.user_id


def own_diary_entry(principal: Principal) -> ColumnElement[bool]:
    return DiaryEntry.owner_id == principal.user_id


def led_by(principal: Principal, user_id: Any) -> ColumnElement[bool]:
    """Users whose leader the principal is: the manager of their department, or for that
    department's own manager, the manager of the department above."""
    department, above = aliased(Department), aliased(Department)
    me = principal.user_id
    return (
        exists()
        .where(
            User.id == user_id,
            department.id == User.department_id,
            or_(
                and_(department.manager_id == me, User.id != me),
                and_(
                    department.manager_id == User.id,
                    exists().where(above.id == department.parent_id, above.manager_id == me),
                ),
            ),
        )
        .correlate_except(User, department, above)
    )


def diary_entry(principal: Principal) -> ColumnElement[bool]:
    """Your own entries, and those your team shared with you as their leader."""
    shared = and_(DiaryEntry.shared_with_leader, led_by(principal, DiaryEntry.owner_id))
    return or_(own_diary_entry(principal), shared)


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
