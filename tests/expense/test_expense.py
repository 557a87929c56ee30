from __future__ import annotations

from gql_crm.db.models import Expense, ExpenseStatus, OperationLog
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import count, make_customer
from tests.graphql_client import GraphQLClient

CREATE = """
mutation($input: ExpenseInput!) {
  createExpense(input: $input) {
    __typename ... on ExpenseSuccess { expense { id status } } ... on Error { code field }
  }
}
"""
REVIEW = """
mutation($ids: [Int!]!, $approve: Boolean!, $comment: String) {
  reviewExpenses(ids: $ids, approve: $approve, comment: $comment) {
    __typename
    ... on ExpensesSuccess { expenses { id status reviewedBy { loginName } } }
    ... on Error { code field message }
  }
}
"""
TOTAL = "query($id: Int!) { customer(id: $id) { money { approvedExpenseTotal } } }"


async def _expense(client: GraphQLClient, customer: int, amount: str) -> int:
    result = (
        await client.data(
            CREATE,
            input={
                "amount": amount,
                "occurredOn": "2026-03-01",
                "description": "Client dinner",
                "customerId": customer,
            },
        )
    )["createExpense"]
    assert result["expense"]["status"] == "PENDING", result
    return int(result["expense"]["id"])


async def test_manager_approves_expenses_once_and_they_count_in_the_totals(
    sales1: GraphQLClient, manager1: GraphQLClient, services: Services
) -> None:
    customer = await make_customer(services, "sales1")
    first = await _expense(sales1, customer, "120.50")
    second = await _expense(sales1, customer, "79.55")
    third = await _expense(sales1, customer, "10.00")

    assert await sales1.error_codes(REVIEW, ids=[first], approve=True) == ["FORBIDDEN"]
    approved = (await manager1.data(REVIEW, ids=[first, second], approve=True))["reviewExpenses"]
    assert [e["status"] for e in approved["expenses"]] == ["APPROVED", "APPROVED"]
    assert {e["reviewedBy"]["loginName"] for e in approved["expenses"]} == {"manager1"}
    logged = await count(services, OperationLog)

    # Deciding again, even together with a pending one, changes nothing.
    again = (await manager1.data(REVIEW, ids=[third, first], approve=False, comment="No"))[
        "reviewExpenses"
    ]
    assert (again["__typename"], again["code"], again["field"]) == (
        "AlreadyDecidedError",
        "ALREADY_DECIDED",
        "ids",
    )
    no_reason = (await manager1.data(REVIEW, ids=[third], approve=False))["reviewExpenses"]
    assert (no_reason["__typename"], no_reason["field"]) == ("InvalidInputError", "comment")
    assert await count(services, Expense, Expense.status == ExpenseStatus.PENDING) == 1
    assert await count(services, OperationLog) == logged

    total = (await sales1.data(TOTAL, id=customer))["customer"]["money"]
    assert total == {"approvedExpenseTotal": "200.05"}
    rejected = await manager1.data(REVIEW, ids=[third], approve=False, comment="Too much")
    assert rejected["reviewExpenses"]["expenses"][0]["status"] == "REJECTED"
    assert (await sales1.data(TOTAL, id=customer))["customer"]["money"] == total


async def test_managers_cannot_approve_their_own_or_unseen_expenses(
    manager1: GraphQLClient, services: Services
) -> None:
    own_customer = await make_customer(services, "manager1")
    foreign_customer = await make_customer(services, "sales3")
    own = await _expense(manager1, own_customer, "5.00")
    sales3 = await manager1.as_user("sales3")
    foreign = await _expense(sales3, foreign_customer, "5.00")
    mine = (await manager1.data(REVIEW, ids=[own], approve=True))["reviewExpenses"]
    assert mine["__typename"] == "ConflictError"
    unseen = (await manager1.data(REVIEW, ids=[foreign], approve=True))["reviewExpenses"]
    assert unseen["__typename"] == "NotFoundError"
    assert await count(services, Expense, Expense.status == ExpenseStatus.PENDING) == 2


UPDATE = """
mutation($id: Int!, $input: ExpenseInput!) {
  updateExpense(id: $id, input: $input) {
    __typename
    ... on ExpenseSuccess { expense { amount description status reviewedBy { loginName } } }
    ... on Error { code field }
  }
}
"""
DELETE = "mutation($id: Int!) { deleteExpense(id: $id) { __typename ... on Error { code } } }"
RESTORE = """mutation($id: Int!) { restoreExpense(id: $id) { __typename
  ... on ExpenseSuccess { expense { id amount status } } ... on Error { code } } }"""
PURGE = "mutation($id: Int!) { purgeExpense(id: $id) { __typename ... on Error { code } } }"
BIN = "{ expenseRecycleBin { edges { node { id } } } }"
SEARCH = """query($filter: ExpenseFilterInput) { expenses(filter: $filter) {
  totalCount edges { node { id description } } } }"""


def _input(amount: str, description: str = "Client dinner") -> dict[str, str]:
    return {"amount": amount, "occurredOn": "2026-03-01", "description": description}


async def test_a_corrected_expense_waits_for_approval_again(
    sales1: GraphQLClient, manager1: GraphQLClient, sales3: GraphQLClient, services: Services
) -> None:
    customer = await make_customer(services, "sales1")
    spent = await _expense(sales1, customer, "120.50")
    await manager1.data(REVIEW, ids=[spent], approve=True)
    assert (await sales1.data(TOTAL, id=customer))["customer"]["money"] == {
        "approvedExpenseTotal": "120.50"
    }
    fixed = (
        await sales1.data(UPDATE, id=spent, input={**_input("12.05"), "customerId": customer})
    )["updateExpense"]
    assert fixed == {
        "__typename": "ExpenseSuccess",
        "expense": {
            "amount": "12.05",
            "description": "Client dinner",
            "status": "PENDING",
            "reviewedBy": None,
        },
    }
    assert (await sales1.data(TOTAL, id=customer))["customer"]["money"] == {
        "approvedExpenseTotal": "0.00"
    }
    bad = (await sales1.data(UPDATE, id=spent, input=_input("-1")))["updateExpense"]
    assert (bad["__typename"], bad["field"]) == ("InvalidInputError", "amount")
    hidden = (await sales3.data(UPDATE, id=spent, input=_input("1")))["updateExpense"]
    assert hidden["__typename"] == "NotFoundError"


async def test_a_deleted_expense_waits_in_the_recycle_bin_and_comes_back_exactly(
    sales1: GraphQLClient, manager1: GraphQLClient, services: Services
) -> None:
    customer = await make_customer(services, "sales1")
    spent = await _expense(sales1, customer, "50.00")
    assert await sales1.error_codes(DELETE, id=spent) == ["FORBIDDEN"]
    assert (await manager1.data(DELETE, id=spent))["deleteExpense"]["__typename"] == (
        "DeleteSuccess"
    )
    assert (await sales1.data(SEARCH))["expenses"]["totalCount"] == 0
    assert (await manager1.data(BIN))["expenseRecycleBin"]["edges"] == [{"node": {"id": spent}}]
    restored = (await manager1.data(RESTORE, id=spent))["restoreExpense"]
    assert restored == {
        "__typename": "ExpenseSuccess",
        "expense": {"id": spent, "amount": "50.00", "status": "PENDING"},
    }
    assert (await sales1.data(SEARCH))["expenses"]["totalCount"] == 1
    await manager1.data(DELETE, id=spent)
    assert (await manager1.data(PURGE, id=spent))["purgeExpense"]["__typename"] == "DeleteSuccess"
    assert await count(services, Expense) == 0


async def test_expenses_are_searched_by_description_and_category(
    sales1: GraphQLClient, services: Services
) -> None:
    customer = await make_customer(services, "sales1")
    await _expense(sales1, customer, "10.00")
    await sales1.data(CREATE, input={**_input("5", "Taxi to the airport"), "category": "Travel"})

    async def found(**filter: str) -> list[str]:
        listed = (await sales1.data(SEARCH, filter=filter))["expenses"]
        return sorted(edge["node"]["description"] for edge in listed["edges"])

    assert await found(search="dinner") == ["Client dinner"]
    assert await found(search="travel") == ["Taxi to the airport"]
    assert await found(search="  ") == ["Client dinner", "Taxi to the airport"]
    assert await found(search="nothing") == []
