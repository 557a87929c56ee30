"""The notepad: notes only their writer sees or changes."""

from __future__ import annotations

from gql_crm.db.models.note import Note
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import count
from tests.graphql_client import GraphQLClient

CREATE = """
mutation($input: NoteInput!) {
  createNote(input: $input) {
    __typename ... on NoteSuccess { note { id title content } } ... on Error { code field }
  }
}
"""
NOTES = "query($search: String) { notes(search: $search) { edges { node { title } } } }"


async def test_notes_are_private_to_their_writer(
    sales1: GraphQLClient, manager1: GraphQLClient, admin: GraphQLClient, services: Services
) -> None:
    made = await sales1.data(CREATE, input={"title": "客户回访 Call-backs", "content": "周三"})
    note_id = made["createNote"]["note"]["id"]
    await sales1.data(CREATE, input={"title": "Groceries", "content": None})
    found = await sales1.data(NOTES, search="回访")
    assert [e["node"]["title"] for e in found["notes"]["edges"]] == ["客户回访 Call-backs"]
    for other in (manager1, admin):
        assert (await other.data(NOTES))["notes"]["edges"] == []
        changed = await other.data(
            'mutation($id: Int!) { updateNote(id: $id, input: {title: "x"}) '
            "{ __typename ... on Error { code } } }",
            id=note_id,
        )
        assert changed["updateNote"]["code"] == "NOT_FOUND"
    blank = await sales1.data(CREATE, input={"title": "  ", "content": "x"})
    assert blank["createNote"]["__typename"] == "InvalidInputError"
    assert await count(services, Note) == 2
