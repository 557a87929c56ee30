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
    "AttachmentRecordType": {"ORDER": "An order (its contract).", "CUSTOMER": "A customer."},
    "Audience": {
        "EVERYONE": "Every employee.",
        "DEPARTMENTS": "The members of the departments in audienceIds.",
        "USERS": "The users in audienceIds.",
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
    "FormName": {"COMPANY": "The customer entry form.", "CONTACT": "The contact entry form."},
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
    "TemporaryOrigin": {
        "ENTERED": "Entered straight into the temporary pool.",
        "CLAIMED": "Claimed from the public pool.",
    },
    "DeliveryStatus": {
        "PENDING": "Waiting for its first or next attempt.",
        "SENDING": "An attempt is under way.",
        "DELIVERED": "The receiver accepted it.",
        "FAILED": "Given up: out of attempts, or refused for good (see lastError).",
    },
    "MessageChannel": {"EMAIL": "By e-mail.", "SMS": "By text message."},
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
