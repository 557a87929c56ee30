"""Descriptions that follow from a name, written once for the whole schema.

Every page type, edge, mutation result and success type, every ``id``, ``createdAt`` or
``…Id`` field and every paging argument means the same thing wherever it stands; rather than
repeat the sentence on each, ``describe`` gives it to each element that states none of its
own, and the enum values their meaning. Anything a domain says itself is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)

from gql_crm.schema.common import declared_permissions

PERMISSION_SENTENCE = "Needs the permission"
"""How every protected field's description ends: with the permission codes it declares."""

_FIELDS = {
    "id": "Its id.",
    "createdAt": "When it was created.",
    "updatedAt": "When it last changed.",
    "deletedAt": "When it went to a recycle bin (null: it did not).",
    "createdById": "Id of the user who created it.",
    "edges": "The records of this page, in order, each with its cursor.",
    "pageInfo": "Whether more records follow, and the cursor to read them from.",
    "node": "The record.",
    "cursor": "Give it as `after` to read the records that follow this one.",
    "hasNextPage": "Whether records follow this page.",
    "hasPreviousPage": "Whether records come before this page.",
    "startCursor": "The cursor of the page's first record.",
    "endCursor": "Give it as `after` to read the next page.",
}
_ARGUMENTS = {
    "first": "How many records to return at most.",
    "after": "A cursor (`pageInfo.endCursor` of the previous page): return what follows it.",
    "id": "The record's id.",
    "input": "The record's fields.",
    "filter": "Only the records that meet every condition given.",
    "sort": "The order of the list (by default the one the list's description states).",
    "search": "Only the records whose name contains this text (case-insensitive).",
    "unreadOnly": "Only those you have not read yet.",
    "from": "The first day of the range (a company day).",
    "to": "The last day of the range, included.",
}


# What each enum value means to an integrator. The enums are the models' own (strawberry.enum
# of a db enum), which leaves no place on the value itself for its description.
_ENUM_VALUES: dict[str, dict[str, str]] = {
    "ApprovalAction": {
        "SUBMIT": "The applicant sent the application.",
        "APPROVE": "An approver approved their step.",
        "REJECT": "An approver rejected it, which closes it.",
        "COMMENT": "A comment, without a decision.",
        "WITHDRAW": "The applicant took it back before it was decided.",
    },
    "ApprovalStatus": {
        "PENDING": "Waiting for the current step's approver.",
        "APPROVED": "Every step approved it.",
        "REJECTED": "An approver rejected it.",
        "WITHDRAWN": "The applicant withdrew it.",
    },
    "ApprovalType": {
        "LEAVE": "Leave; needs startsOn and endsOn.",
        "BUSINESS_TRIP": "A business trip; needs startsOn and endsOn.",
        "REIMBURSEMENT": "Money to pay back to the applicant; needs an amount.",
        "EXPENSE": "Money to spend; needs an amount.",
        "CUSTOM": "Any other request.",
    },
    "AttachmentRecordType": {
        "ORDER": "An order (its contract).",
        "CUSTOMER": "A customer.",
        "ARTICLE": "A knowledge-base article.",
    },
    "ArticleStatus": {
        "DRAFT": "Seen by those who may edit the knowledge base only.",
        "PUBLISHED": "Seen by everyone.",
    },
    "Audience": {
        "EVERYONE": "Every employee.",
        "DEPARTMENTS": "The members of the departments in audienceIds.",
        "USERS": "The users in audienceIds.",
    },
    "CommissionBasis": {
        "TOTAL": "A rate of the base, or fixed amounts, by tiers of thresholds.",
        "LEVEL": "Each person's level earns its rate or amount per period.",
        "PRODUCT": "Each order line earns its product's rule.",
    },
    "CommissionCounting": {
        "SIGNED_ORDERS": "Orders, on their sign date.",
        "PAYMENTS": "Payments received, on the date received.",
    },
    "CommissionKind": {
        "SALES": "Pays a salesperson on their own sales.",
        "MANAGEMENT": "Pays a manager on the sales of the departments they manage.",
    },
    "CommissionMethod": {
        "PERCENT_OF_SALES": "A rate of the sales amount.",
        "PERCENT_OF_MARGIN": "A rate of the sales amount less cost.",
        "FIXED": "A fixed amount (by product: per unit).",
    },
    "CommissionPeriodKind": {
        "MONTH": "Pays per calendar month.",
        "QUARTER": "Pays per calendar quarter.",
        "YEAR": "Pays per calendar year.",
    },
    "CommissionTierMode": {
        "WHOLE": "The highest tier reached applies to the whole base.",
        "MARGINAL": "Each tier applies to the part of the base between its threshold and the next.",
    },
    "ComplaintStatus": {
        "UNHANDLED": "Nobody has taken it up yet.",
        "IN_PROGRESS": "Being handled.",
        "RESOLVED": "Handled; its resolution says how.",
    },
    "CustomerKind": {"ENTERPRISE": "A company.", "INDIVIDUAL": "A private person."},
    "CustomerRecordKind": {
        "TASK": "A to-do.",
        "SCHEDULE": "An appointment.",
        "NOTE": "A note.",
        "CALL": "An incoming call.",
        "COMPLAINT": "A complaint.",
        "SERVICE": "A service given.",
    },
    "CampaignStatus": {
        "PLANNED": "Not started yet.",
        "RUNNING": "Under way.",
        "FINISHED": "Over.",
        "CANCELLED": "Called off.",
    },
    "ContactSortField": {
        "NAME": "The contact's name.",
        "CREATED_AT": "When the contact was entered.",
    },
    "CustomerSortField": {
        "ACQUIRED_ON": "The day the customer was acquired.",
        "LAST_FOLLOW_UP_AT": "The latest follow-up.",
        "NAME": "The name.",
        "CREATED_AT": "When it was entered.",
    },
    "CustomerView": {
        "ALL": "Every customer you may see.",
        "MINE": "Those you own.",
        "SUBORDINATES": "Those your subordinates own.",
        "SHARED": "Those shared with you.",
        "PUBLIC": "The public pool.",
        "SPECIAL": "The special pool.",
        "CLOSED_WON": "Those with a won deal.",
    },
    "DataScope": {
        "OWN": "The user's own records.",
        "OWN_AND_SUBORDINATES": "Their own and their subordinates' records.",
        "DEPARTMENT": "The records of their department and its sub-departments.",
        "ALL": "Every record.",
    },
    "ExpenseKind": {
        "INCOME": "Money received; needs no approval.",
        "EXPENSE": "Money spent; waits for approval.",
    },
    "ExpenseStatus": {
        "PENDING": "Waiting for approval.",
        "APPROVED": "Approved.",
        "REJECTED": "Rejected.",
    },
    "FormName": {
        "COMPANY": "The entry form of enterprise customers.",
        "CONTACT": "The contact entry form.",
        "INDIVIDUAL": "The entry form of individual customers (people buying for themselves).",
    },
    "NotificationCategory": {
        "PERSONAL": "About your own work: reminders, approvals, customers about to fall back.",
        "SYSTEM": "From the company: announcements.",
    },
    "OpportunityDetailKind": {
        "REQUIREMENT": "What the customer needs.",
        "SOLUTION": "What we propose.",
        "QUOTE": "A price offered.",
        "COMPETITOR": "A competitor in the deal.",
    },
    "OptionList": {
        "CATEGORY": "Customer categories.",
        "SOURCE": "Where customers and opportunities come from.",
        "STATUS": "Customer statuses.",
        "INDUSTRY": "Industries.",
        "FOLLOW_UP_METHOD": "How a follow-up was made (a phone call, a visit...).",
        "PRODUCT_CATEGORY": "Product categories.",
        "OPPORTUNITY_TYPE": "Opportunity types.",
    },
    "OrderStatus": {
        "UNPAID": "Nothing received yet.",
        "PARTLY_PAID": "Part of the amount received.",
        "PAID": "The amount received in full.",
        "EXPIRED": "Past its expiry date without being paid in full.",
    },
    "Pool": {
        "PRIVATE": "The owner's own customers.",
        "TEMPORARY": "The owner's customers on trial: without follow-up they fall back to public.",
        "PUBLIC": "Open to claims.",
        "SPECIAL": "The public junk pool: claimable only with the special-pool right.",
    },
    "SortDirection": {"ASC": "Smallest or earliest first.", "DESC": "Largest or latest first."},
    "StageOutcome": {
        "OPEN": "A stage of the funnel.",
        "WON": "The deal is won; the opportunity closes.",
        "LOST": "The deal is lost; the opportunity closes.",
    },
    "StatisticsDimension": {
        "DAY": "Company days (YYYY-MM-DD), every day of the range listed.",
        "MONTH": "Calendar months (YYYY-MM), every month of the range listed.",
        "YEAR": "Calendar years (YYYY), every year of the range listed.",
        "USER": "People: whom each record counts for; everyone in your scope listed.",
        "DEPARTMENT": "The departments those people belong to now.",
        "PRODUCT": "Products (product and intent metrics only).",
        "PRODUCT_CATEGORY": "Product categories (product and intent metrics only): "
        "an intent customer counts under the categories of the products on the orders made "
        "from their opportunity, signed or not, and under none without such an order line.",
        "DEAL_TYPE": "The opportunity type of the deal.",
        "CUSTOMER_KIND": "Enterprise or individual customer.",
        "CUSTOMER_CATEGORY": "The customer's category option.",
        "CUSTOMER_SOURCE": "The customer's source option.",
        "CUSTOMER_STATUS": "The customer's status option.",
        "CUSTOMER_INDUSTRY": "The customer's industry option.",
        "CUSTOMER_MATURITY": "The customer's maturity grade.",
        "CITY": "The customer's city as entered.",
    },
    "StatisticsMetric": {
        "CUSTOMERS": "Customers you may see (the customer breakdown's own metric).",
        "NEW_CUSTOMERS": "Customers entered (still live), for whoever entered them.",
        "CUSTOMERS_CLAIMED": "Claims of customers from the pools, for the claimer.",
        "FOLLOW_UPS": "Follow-ups by their time, for their author.",
        "INTENT_CUSTOMERS": "Distinct customers with an opportunity created, for its owner; by "
        "product, under each product the opportunity's orders name.",
        "INTENT_PRODUCTS": "Distinct products named by the orders of opportunities created, "
        "for the opportunity's owner.",
        "DEAL_TOTAL": "Amounts of orders by sign date, less refunds on the day paid back.",
        "PROFIT": "Deal total less each signed order's cost (quantity x product cost).",
        "QUANTITY": "Units on the lines of orders signed.",
        "PRODUCT_SALES": "Line amounts of orders signed (before refunds).",
        "PRODUCT_CUSTOMERS": "Distinct customers with the product on an order signed.",
        "PAYMENTS_RECEIVED": "Payments by date received, less refunds on the day paid back.",
        "REFUNDS": "Money paid back on orders, on the day paid back.",
        "INCOME": "Income records by date, not rejected.",
        "EXPENSE": "Expense records by date, not rejected.",
    },
    "StatisticsReportKind": {
        "STATISTICS": "Any metrics by any dimension (the `statistics` query).",
        "LEADERBOARD": "People or departments ranked on one metric (`statisticsLeaderboard`).",
        "COMBINED": "Customers entered and claimed, deal total, quantity and profit "
        "(`combinedStatistics`).",
        "PRODUCTS": "Intent customers, units sold and sales amount (`productStatistics`).",
        "CUSTOMERS": "Customers by one attribute (`customerStatistics`).",
    },
    "ReportChart": {
        "LINE": "Lines: one per series (the default along time).",
        "COLUMN": "Vertical bars (the default for groups).",
        "BAR": "Horizontal bars (the default for leaderboards).",
        "AREA": "Filled areas, one per series.",
        "PIE": "Slices of one series (the default for the customer breakdown).",
        "DOUGHNUT": "A ring of slices of one series.",
    },
    "StatisticsUnit": {
        "COUNT": "A whole number of records or customers.",
        "MONEY": "An amount in the company currency, two decimals.",
        "QUANTITY": "Units of products, two decimals.",
    },
    "JobKind": {
        "IMPORT": "Reads an uploaded workbook into the CRM.",
        "EXPORT": "Writes a workbook to download.",
    },
    "JobState": {
        "QUEUED": "Waiting for a worker.",
        "RUNNING": "Reading or writing rows.",
        "SUCCEEDED": "Done: the export's file is ready, or the import (or its check) passed.",
        "FAILED": "Stopped: `message` says why; a refused import wrote nothing.",
        "CANCELLED": "Cancelled by its owner or an administrator; nothing was written.",
    },
    "TemporaryOrigin": {
        "ENTERED": "Entered straight into the temporary pool.",
        "CLAIMED": "Claimed from the public pool.",
    },
    "DeliveryStatus": {
        "PENDING": "Waiting for its first or next attempt.",
        "SENDING": "An attempt is under way.",
        "DELIVERED": "The receiver accepted it.",
        "FAILED": "Given up: out of attempts, or refused for good (see lastError).",
        "BOUNCED": "The recipient's address or number was refused for good (see lastError); "
        "never sent again.",
    },
    "MessageChannel": {"EMAIL": "By e-mail.", "SMS": "By text message."},
    "DocumentSpace": {
        "PRIVATE": "Its owner's own documents, which they may share folder by folder.",
        "PUBLIC": "The company's public documents: everyone reads them, holders of "
        "document:manage_public change them.",
    },
    "TrainingAttendeeStatus": {
        "REGISTERED": "On the list.",
        "ATTENDED": "Came.",
        "ABSENT": "Did not come.",
        "CANCELLED": "Taken off the list.",
    },
    "TransferPool": {"PUBLIC": "The public pool.", "SPECIAL": "The special (junk) pool."},
}


def words(name: str) -> str:
    """customerId -> customer, DeliveryPlan -> delivery plan."""
    name = name.removesuffix("Ids").removesuffix("Id")
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


def _type_description(kind: GraphQLNamedType) -> str | None:
    name = kind.name
    if isinstance(kind, GraphQLUnionType) and name.endswith("Result"):
        members = ", ".join(f"`{member.name}`" for member in kind.types)
        return f"What the mutation answers: one of {members}."
    if name.endswith("Success"):
        return "What a mutation answers when it succeeds: what it wrote."
    if name.endswith("Edge"):
        return f"A {words(name.removesuffix('Edge'))} in a page, with its cursor."
    if isinstance(kind, GraphQLInputObjectType) and name.endswith("Input"):
        return f"The fields of a {words(name.removesuffix('Input'))}, as a form sends them."
    return None


def _field_description(owner: str, name: str, siblings: Mapping[str, object]) -> str | None:
    if name in _FIELDS:
        return _FIELDS[name]
    if f"{name}Id" in siblings:
        return f"The record `{name}Id` points to (null: none, or one you may not see)."
    if owner.endswith("Success") and len(siblings) == 1:
        return "What the mutation wrote, as it now stands."
    if name.endswith("Id") and name != "Id":
        related = name.removesuffix("Id")
        more = f" (the record itself: `{related}`)" if related in siblings else ""
        return f"Id of its {words(name)}{more}."
    return None


def _argument_description(name: str) -> str | None:
    if name in _ARGUMENTS:
        return _ARGUMENTS[name]
    if name.endswith("Id"):
        return f"Id of the {words(name)}."
    if name.endswith("Ids"):
        return f"Ids of the {words(name)}s."
    return None


def _written_fields(field: GraphQLField) -> Mapping[str, GraphQLField]:
    """The fields of the record a mutation answers with (its success member's one field)."""
    result = get_named_type(field.type)
    members = result.types if isinstance(result, GraphQLUnionType) else [result]
    for member in members:
        if isinstance(member, GraphQLObjectType) and len(member.fields) == 1:
            [written] = member.fields.values()
            record = get_named_type(written.type)
            if isinstance(record, GraphQLObjectType):
                fields: Mapping[str, GraphQLField] = record.fields
                return fields
    return {}


def describe(schema: GraphQLSchema) -> None:
    """Give every element without a description of its own the one its name implies."""
    for name, kind in schema.type_map.items():
        if name.startswith("__"):
            continue
        if not kind.description:
            kind.description = _type_description(kind)
        if isinstance(kind, GraphQLEnumType):
            for value_name, value in kind.values.items():
                value.description = value.description or _ENUM_VALUES.get(name, {}).get(value_name)
        if not isinstance(kind, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            continue
        fields: dict[str, GraphQLField | GraphQLInputField] = dict(kind.fields)
        for field_name, field in fields.items():
            if not field.description:
                field.description = _field_description(name, field_name, fields)
            if isinstance(field, GraphQLField) and (codes := declared_permissions(field)):
                needed = " and ".join(f"`{code}`" for code in codes)
                field.description = " ".join(
                    filter(None, [field.description, f"{PERMISSION_SENTENCE} {needed}."])
                )
            arguments: dict[str, GraphQLArgument] = getattr(field, "args", {})
            written = (
                _written_fields(field)
                if kind is schema.mutation_type and isinstance(field, GraphQLField)
                else {}
            )
            for argument_name, argument in arguments.items():
                if not argument.description:
                    argument.description = _argument_description(argument_name) or (
                        written[argument_name].description if argument_name in written else None
                    )
