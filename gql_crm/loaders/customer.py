from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select

from gql_crm.auth.principal import Principal
from gql_crm.db.engine import Reads
from gql_crm.db.models import (
    Contact,
    Customer,
    CustomerShare,
    FollowUp,
    MaturityOption,
    OperationLog,
    OptionItem,
)
from gql_crm.db.pagination import Page, SortKey, ordered
from gql_crm.loaders.base import Loader, LoaderSet, loader, scoped_loader
from gql_crm.loaders.batch import (
    Children,
    Slice,
    by_key,
    children,
    in_keys,
    pages,
    per_principal,
    rows_by_id,
)
from gql_crm.services.customer import CustomerFilter, customer_query

# Customers by id, deleted ones included: callers decide what a reader may see.
load_customers = rows_by_id(Customer)
load_contacts_by_id = rows_by_id(Contact)


@per_principal
def _visible_customers(principal: Principal) -> Select[Customer]:
    return customer_query(principal, CustomerFilter()).where(in_keys(Customer.id))


async def load_visible_customers(
    database: Reads, principal: Principal, ids: Sequence[int]
) -> list[Customer | None]:
    """Customers by id as the caller's customer lists would show them (None if not)."""
    return await by_key(database, _visible_customers(principal), lambda c: c.id, ids)


load_options = rows_by_id(OptionItem)
load_maturity_options = rows_by_id(MaturityOption)
# Contacts per customer, primary first.
CONTACT_ORDER = [SortKey(Contact.is_primary, descending=True), SortKey(Contact.id)]
load_contacts = children(Contact.customer_id, *ordered(CONTACT_ORDER))
_load_shares = children(CustomerShare.customer_id, CustomerShare.created_at, CustomerShare.user_id)


async def load_shared_with(database: Reads, customer_ids: Sequence[int]) -> list[list[int]]:
    shares = await _load_shares(database, customer_ids)
    return [[share.user_id for share in group] for group in shares]


FOLLOW_UP_ORDER = [SortKey(FollowUp.followed_at, descending=True), SortKey(FollowUp.id, True)]
# A customer's live follow-ups, newest first.
CUSTOMER_FOLLOW_UPS = Children(
    FollowUp.customer_id, FOLLOW_UP_ORDER, where=(FollowUp.deleted_at.is_(None),)
)
load_follow_ups = pages(CUSTOMER_FOLLOW_UPS)
# The operation-log entries about a customer, newest first.
OPERATION_LOG_ORDER = [SortKey(OperationLog.id, descending=True)]
CUSTOMER_LOG = Children(
    OperationLog.entity_id, OPERATION_LOG_ORDER, where=(OperationLog.entity_type == "customer",)
)
load_operation_log = pages(CUSTOMER_LOG)


class CustomerLoaders(LoaderSet):
    customer: Loader[int, Customer | None] = loader(load_customers)
    visible_customer: Loader[int, Customer | None] = scoped_loader(load_visible_customers)
    customer_contacts: Loader[int, list[Contact]] = loader(load_contacts)
    contact: Loader[int, Contact | None] = loader(load_contacts_by_id)
    # Pages per customer.
    customer_follow_ups: Loader[Slice, Page[FollowUp]] = loader(load_follow_ups)
    customer_operation_log: Loader[Slice, Page[OperationLog]] = loader(load_operation_log)
    customer_shared_with: Loader[int, list[int]] = loader(load_shared_with)
    option: Loader[int, OptionItem | None] = loader(load_options)
    maturity: Loader[int, MaturityOption | None] = loader(load_maturity_options)
