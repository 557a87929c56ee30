"""Reading the operation log; entries are written by ``UnitOfWork.log``."""

from __future__ import annotations

from sqlalchemy import Select, and_, not_, or_, select

from gql_crm.auth.principal import Principal
from gql_crm.db.models import Contact, Customer, OperationLog
from gql_crm.db.scopes import customer_visibility, scope_filter


def operation_log_query(
    principal: Principal, *, entity_type: str | None, entity_id: int | None
) -> Select[OperationLog]:
    """Entries by actors within the caller's data scope, optionally for one record, except
    entries about live customers (and their contacts) that the caller may not see."""
    hidden_customers = select(Customer.id).where(
        Customer.deleted_at.is_(None), not_(customer_visibility(principal))
    )
    hidden_contacts = select(Contact.id).where(Contact.customer_id.in_(hidden_customers))
    stmt = select(OperationLog).where(
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
    if entity_type is not None:
        stmt = stmt.where(OperationLog.entity_type == entity_type)
    if entity_id is not None:
        stmt = stmt.where(OperationLog.entity_id == entity_id)
    return stmt
