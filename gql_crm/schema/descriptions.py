"""Descriptions that follow from a name, written once for the whole schema.

Every page type, edge, mutation result and success type, every ``id``, ``createdAt`` or
``…Id`` field and every paging argument means the same thing wherever it stands; rather than
repeat the sentence on each, ``describe`` gives it to each element that states none of its
own. Anything a domain says itself is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
)

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
}


def _words(name: str) -> str:
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
        return f"A {_words(name.removesuffix('Edge'))} in a page, with its cursor."
    if isinstance(kind, GraphQLInputObjectType) and name.endswith("Input"):
        return f"The fields of a {_words(name.removesuffix('Input'))}, as a form sends them."
    return None


def _field_description(name: str, siblings: Mapping[str, object]) -> str | None:
    if name in _FIELDS:
        return _FIELDS[name]
    if name.endswith("Id") and name != "Id":
        related = name.removesuffix("Id")
        more = f" (the record itself: `{related}`)" if related in siblings else ""
        return f"Id of its {_words(name)}{more}."
    return None


def _argument_description(name: str) -> str | None:
    if name in _ARGUMENTS:
        return _ARGUMENTS[name]
    if name.endswith("Id"):
        return f"Id of the {_words(name)}."
    if name.endswith("Ids"):
        return f"Ids of the {_words(name)}s."
    return None


def describe(schema: GraphQLSchema) -> None:
    """Give every element without a description of its own the one its name implies."""
    for name, kind in schema.type_map.items():
        if name.startswith("__"):
            continue
        if not kind.description:
            kind.description = _type_description(kind)
        if not isinstance(kind, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            continue
        fields: dict[str, GraphQLField | GraphQLInputField] = dict(kind.fields)
        for field_name, field in fields.items():
            if not field.description:
                field.description = _field_description(field_name, fields)
            arguments: dict[str, GraphQLArgument] = getattr(field, "args", {})
            for argument_name, argument in arguments.items():
                if not argument.description:
                    argument.description = _argument_description(argument_name)
