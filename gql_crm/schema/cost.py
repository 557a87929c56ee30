"""The query cost budget: how much a document may ask for, estimated before anything runs.

Depth, alias and token limits bound a document's size, not its work: 30 aliases of
`customers(first: 100)` each with a dozen nested lists stay inside all three and still ask
for hundreds of thousands of records. The estimate counts every field once per record it is
read for: a list multiplies what it selects by its page size — `first` as given, a
variable's default (or the largest page when it has none), the argument's default, or the
default page size — and a list without `first` by ``UNPAGED_LIST``. A connection's `edges`
were counted by the connection. The estimate is an upper bound (fragments on each member of
a union count as if all applied), computed once per document, as validation is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
)
from graphql.validation import ASTValidationRule

UNPAGED_LIST = 10
"""What a list without `first` (an order's lines, a record's attachments) is assumed to hold."""

COST_CODE = "QUERY_TOO_COSTLY"


def _is_list(kind: GraphQLOutputType) -> bool:
    return isinstance(kind.of_type if isinstance(kind, GraphQLNonNull) else kind, GraphQLList)


class _Estimate:
    def __init__(
        self, context: Any, operation: OperationDefinitionNode, default_page: int, max_page: int
    ) -> None:
        self.context = context
        self.default_page = default_page
        self.max_page = max_page
        self.variables: Mapping[str, int | None] = {
            definition.variable.name.value: (
                int(definition.default_value.value)
                if isinstance(definition.default_value, IntValueNode)
                else None
            )
            for definition in operation.variable_definitions or ()
        }

    def page(self, field: GraphQLField, node: FieldNode, parent: GraphQLObjectType) -> int:
        """How many records ``node`` reads per record of its parent."""
        first = field.args.get("first")
        if first is None:
            if not _is_list(field.type) or parent.name.endswith("Connection"):
                return 1
            return UNPAGED_LIST
        given = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
        if isinstance(given, IntValueNode):
            return min(int(given.value), self.max_page)
        if isinstance(given, VariableNode):
            return self.variables.get(given.name.value) or self.max_page
        default = first.default_value
        return default if isinstance(default, int) else self.default_page

    def cost(self, selections: SelectionSetNode, parent: Any, seen: frozenset[str]) -> int:
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(selection, parent, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                kind = self.context.schema.get_type(condition.name.value) if condition else parent
                total += self.cost(selection.selection_set, kind, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                if fragment is None or name in seen:
                    continue  # reported by the standard rules
                kind = self.context.schema.get_type(fragment.type_condition.name.value)
                total += self.cost(fragment.selection_set, kind, seen | {name})
        return total

    def field_cost(self, node: FieldNode, parent: Any, seen: frozenset[str]) -> int:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 1
        field = parent.fields.get(node.name.value)
        if field is None or node.selection_set is None:
            return 1
        kind = get_named_type(field.type)
        if not isinstance(kind, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            return 1
        per_record = self.cost(node.selection_set, kind, seen)
        return 1 + self.page(field, node, parent) * per_record  # type: ignore[arg-type]


def query_cost_rule(budget: int, default_page: int, max_page: int) -> type[ASTValidationRule]:
    """A validation rule refusing an operation whose estimated cost exceeds ``budget``."""

    class QueryCost(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            estimate = _Estimate(self.context, node, default_page, max_page)
            cost = estimate.cost(node.selection_set, root, frozenset())
            if cost > budget:
                self.report_error(
                    GraphQLError(
                        f"The query would read about {cost:,} fields and records; the budget "
                        f"is {budget:,}. Ask for smaller pages (`first`) or fewer nested lists.",
                        node,
                        extensions={"code": COST_CODE, "cost": cost, "budget": budget},
                    )
                )

    return QueryCost
