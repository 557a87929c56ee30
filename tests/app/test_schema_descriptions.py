"""The schema explains itself to an integrator: every type, field, argument and enum value
says what it is (beyond the permission a protected field names), and no description cites
the product specification's internal codes."""

from __future__ import annotations

import re

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from gql_crm.schema import build_schema
from gql_crm.schema.common import declared_permissions
from gql_crm.schema.descriptions import PERMISSION_SENTENCE

SPEC_CODE = re.compile(r"\(F\d")


def _elements() -> list[tuple[str, str, str | None]]:
    """(kind, path, description) for every public element of the schema."""
    found: list[tuple[str, str, str | None]] = []
    for name, kind in build_schema()._schema.type_map.items():
        if name.startswith("__"):
            continue
        found.append(("type", name, kind.description))
        if isinstance(kind, GraphQLEnumType):
            found += [("enum value", f"{name}.{v}", e.description) for v, e in kind.values.items()]
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in kind.fields.items():
                found.append(("field", f"{name}.{field_name}", field.description))
                for arg_name, arg in getattr(field, "args", {}).items():
                    found.append(("argument", f"{name}.{field_name}({arg_name})", arg.description))
    return found


def _own_words(text: str | None) -> str:
    """What a description says beyond the permission sentence every protected field gets."""
    return (text or "").split(PERMISSION_SENTENCE)[0].strip()


def test_every_protected_field_names_its_permission() -> None:
    for name, kind in build_schema()._schema.type_map.items():
        if isinstance(kind, GraphQLObjectType) and not name.startswith("__"):
            for field_name, field in kind.fields.items():
                for code in declared_permissions(field):
                    assert f"`{code}`" in (field.description or ""), f"{name}.{field_name}"


def test_no_description_cites_a_specification_code() -> None:
    cited = [path for _, path, text in _elements() if text and SPEC_CODE.search(text)]
    assert cited == []


def test_every_element_is_described() -> None:
    undescribed = [f"{kind} {path}" for kind, path, text in _elements() if not _own_words(text)]
    assert undescribed == []
