"""Follow-up records (F4.2): each one is a contact with the customer and restarts its pool
clock."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from gql_crm.auth.permissions import Advanced, Module, record_codes
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.models import Contact, Customer, CustomerShare, FollowUp, OptionList
from gql_crm.loaders.customer import FOLLOW_UP_ORDER
from gql_crm.services import recycle_bin
from gql_crm.services.customer import is_visible
from gql_crm.services.errors import Conflict, NotFound, Problems
from gql_crm.services.opportunity import opportunity_problem
from gql_crm.services.option import option_problem
from gql_crm.services.pool import can_manage, customer_event
from gql_crm.services.records import equal_to
from gql_crm.services.unit_of_work import UnitOfWork

FOLLOWUP_VIEW, FOLLOWUP_CREATE, FOLLOWUP_EDIT, FOLLOWUP_DELETE = record_codes(Module.FOLLOWUP)


async def followable_customer(uow: UnitOfWork, customer_id: int) -> Customer:
    """A customer the caller may follow up: managed by them, or shared with them."""
    customer = await uow.session.get(Customer, customer_id, with_for_update=True)
    if customer is None or customer.deleted_at is not None:
        raise NotFound("Customer", customer_id, "customerId")
    if can_manage(uow.principal, customer):
        return customer
    shared = await uow.session.get(CustomerShare, (customer_id, uow.principal.user_id))
    if shared is None:
        if not await is_visible(uow, customer):
            raise NotFound("Customer", customer_id, "customerId")
        raise Conflict(
            "Only the owner, their managers and colleagues it is shared with may follow up "
            "this customer; claim it first if it is in a pool.",
            "customerId",
        )
    return customer


async def _values(uow: UnitOfWork, customer_id: int, input: dict[str, Any]) -> dict[str, Any]:
    """The form's values, checked against the customer and the clock; when it happened
    defaults to now."""
    problems = Problems()
    method_id, contact_id = input["method_id"], input["contact_id"]
    if p := await option_problem(uow.session, OptionList.FOLLOW_UP_METHOD, method_id):
        problems.add("methodId", p)
    if p := await opportunity_problem(uow, customer_id, input.get("opportunity_id")):
        problems.add("opportunityId", p)
    if contact_id is not None:
        contact = await uow.session.get(Contact, contact_id)
        if contact is None or contact.customer_id != customer_id:
            problems.add("contactId", f"contact {contact_id} is not a contact of this customer")
    followed_at = input["followed_at"] or uow.now
    if followed_at > uow.now:
        # A follow-up in the future would hold the pool clock back for work not yet done.
        problems.add("followedAt", "cannot be in the future")
    problems.raise_if_any()
    return {**input, "followed_at": followed_at}


async def _refresh_clock(uow: UnitOfWork, customer: Customer) -> None:
    latest = await uow.session.scalar(
        select(func.max(FollowUp.followed_at)).where(
            FollowUp.customer_id == customer.id, FollowUp.deleted_at.is_(None)
        )
    )
    customer.last_follow_up_at = latest


async def create_follow_up(uow: UnitOfWork, customer_id: int, input: dict[str, Any]) -> FollowUp:
    customer = await followable_customer(uow, customer_id)
    values = await _values(uow, customer_id, input)
    followed_at = values["followed_at"]
    follow_up = FollowUp(
        customer_id=customer.id, author_id=uow.principal.user_id, created_at=uow.now, **values
    )
    uow.session.add(follow_up)
    await uow.session.flush()
    if customer.last_follow_up_at is None or followed_at > customer.last_follow_up_at:
        customer.last_follow_up_at = followed_at
    uow.log("follow_up", follow_up.id, "create", {"customerId": [None, customer.id]})
    customer_event(uow, customer, "customer.followed_up", followUpId=follow_up.id)
    return follow_up


async def _own_or_permitted(uow: UnitOfWork, follow_up_id: int) -> tuple[FollowUp, Customer]:
    """A follow-up the caller may change, with its customer locked (its pool clock moves).

    Authors keep that right only while they may still follow the customer up (it may have
    been transferred or released since); others' follow-ups need followup:edit_others.
    """
    follow_up = await uow.session.get(FollowUp, follow_up_id)
    if follow_up is None or follow_up.deleted_at is not None:
        raise NotFound("Follow-up", follow_up_id)
    try:
        customer = await followable_customer(uow, follow_up.customer_id)
    except (NotFound, Conflict) as refused:
        raise NotFound("Follow-up", follow_up_id) from refused
    if follow_up.author_id != uow.principal.user_id:
        uow.principal.require(Advanced.EDIT_OTHERS_FOLLOWUPS)
        if not can_manage(uow.principal, customer):
            raise NotFound("Follow-up", follow_up_id)
    return follow_up, customer


async def update_follow_up(uow: UnitOfWork, id: int, input: dict[str, Any]) -> FollowUp:
    follow_up, customer = await _own_or_permitted(uow, id)
    uow.apply("follow_up", follow_up, await _values(uow, customer.id, input))
    await uow.session.flush()
    await _refresh_clock(uow, customer)
    return follow_up


async def delete_follow_up(uow: UnitOfWork, id: int) -> int:
    """Into the deleter's recycle bin; the customer's clock goes back to the follow-up
    before it."""
    follow_up, customer = await _own_or_permitted(uow, id)
    recycle_bin.discard(uow, "follow_up", follow_up)
    await uow.session.flush()
    await _refresh_clock(uow, customer)
    return id


async def _binned(uow: UnitOfWork, id: int) -> tuple[FollowUp, Customer]:
    reach = visibility.binned_follow_up(uow.principal)
    follow_up = await recycle_bin.binned(uow, FollowUp, id, reach, "Follow-up")
    try:
        customer = await followable_customer(uow, follow_up.customer_id)
    except (NotFound, Conflict) as refused:
        raise NotFound("Follow-up in your recycle bin", id) from refused
    return follow_up, customer


async def restore_follow_up(uow: UnitOfWork, id: int) -> FollowUp:
    """Back from the recycle bin exactly as it was, the customer's clock with it."""
    follow_up, customer = await _binned(uow, id)
    recycle_bin.restore(uow, "follow_up", follow_up)
    await uow.session.flush()
    await _refresh_clock(uow, customer)
    return follow_up


async def purge_follow_up(uow: UnitOfWork, id: int) -> int:
    follow_up, _customer = await _binned(uow, id)
    gone = {"customerId": [follow_up.customer_id, None]}
    return await recycle_bin.purge(uow, "follow_up", follow_up, gone)


BIN_ORDER = recycle_bin.latest_first(FollowUp)
# Latest first, as a customer's own follow-ups are listed.
ORDER = FOLLOW_UP_ORDER


def follow_up_query(principal: Principal, filter: dict[str, Any] | None = None) -> Select[FollowUp]:
    """Follow-ups on the customers the caller may see, narrowed by the filter's ids."""
    return select(FollowUp).where(visibility.follow_up(principal), *equal_to(FollowUp, filter))


def follow_up_bin(principal: Principal) -> Select[FollowUp]:
    """Follow-ups the caller deleted and may restore."""
    return select(FollowUp).where(visibility.binned_follow_up(principal))
