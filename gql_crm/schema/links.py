"""A record's customer, order and opportunity as objects, as the caller may see them.

Each link reads through the record kind's own visibility rule (one statement per level of a
request, whatever the number of records): a customer the caller may not see is null, so an
assignee outside the customer's scope sees the record and nothing more of the customer.
"""

from __future__ import annotations

from typing import Any

from gql_crm.db import visibility
from gql_crm.db.models import Opportunity, Order
from gql_crm.loaders.batch import scoped_rows
from gql_crm.loaders.customer import load_visible_customers
from gql_crm.schema.kit import related

visible_orders = scoped_rows(Order, visibility.order)
visible_opportunities = scoped_rows(Opportunity, visibility.opportunity)


def customer_link(key: str = "customer_id") -> Any:
    return related(
        "CustomerType", key, load_visible_customers, scoped=True,
        module="gql_crm.schema.customer",
        description="The customer, as your customer lists show it; null if you may not see "
        "it (an assignee outside its scope sees only the record).",
    )  # fmt: skip


def order_link(key: str = "order_id") -> Any:
    return related(
        "OrderType", key, visible_orders, scoped=True, module="gql_crm.schema.order",
        description="The order, with its customer; null if you may not see it.",
    )  # fmt: skip


def opportunity_link(key: str = "opportunity_id") -> Any:
    return related(
        "OpportunityType", key, visible_opportunities, scoped=True,
        module="gql_crm.schema.opportunity",
        description="The opportunity; null if there is none or you may not see it.",
    )  # fmt: skip
