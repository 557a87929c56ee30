"""Uploading documents as a GraphQL multipart client does, and the queries the tests use."""

from __future__ import annotations

import json
from typing import Any

from tests.graphql_client import GraphQLClient

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
UPLOAD = """
mutation($file: Upload!, $folderId: Int, $space: DocumentSpace) {
  uploadDocument(file: $file, folderId: $folderId, space: $space) {
    __typename
    ... on DocumentSuccess { document { id fileName size space ownerId downloadUrl
      uploadedBy { loginName } folder { id name } } }
    ... on Error { code field message }
  }
}
"""
CREATE_FOLDER = """
mutation($name: String!, $parentId: Int, $space: DocumentSpace) {
  createDocumentFolder(input: {name: $name}, parentId: $parentId, space: $space) {
    __typename
    ... on DocumentFolderSuccess { folder { id name space ownerId parentId } }
    ... on Error { code field message }
  }
}
"""
SHARE = """
mutation($folderId: Int!, $userId: Int, $departmentId: Int, $canWrite: Boolean) {
  shareDocumentFolder(folderId: $folderId, userId: $userId, departmentId: $departmentId,
                      canWrite: $canWrite) {
    __typename
    ... on DocumentShareSuccess { share { id canWrite user { loginName } } }
    ... on Error { code field message }
  }
}
"""
DOCUMENTS = """
query($folderId: Int, $space: DocumentSpace, $search: String) {
  documents(folderId: $folderId, space: $space, search: $search) {
    totalCount edges { node { id fileName } }
  }
}
"""
FOLDERS = """
query($parentId: Int, $space: DocumentSpace) {
  documentFolders(parentId: $parentId, space: $space) {
    edges { node { id name ownerId shares { canWrite } } }
  }
}
"""


async def upload(
    client: GraphQLClient, name: str, content: bytes, content_type: str = "application/pdf",
    **variables: Any,
) -> dict[str, Any]:  # fmt: skip
    """The result of uploading ``content`` as ``name`` (``folderId``, ``space`` as given)."""
    operations = {"query": UPLOAD, "variables": {"file": None, **variables}}
    response = await client.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name, content, content_type)},
        headers={"Apollo-Require-Preflight": "true", "Authorization": f"Bearer {client.token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    result: dict[str, Any] = body["data"]["uploadDocument"]
    return result


async def folder(client: GraphQLClient, name: str, **variables: Any) -> int:
    result = (await client.data(CREATE_FOLDER, name=name, **variables))["createDocumentFolder"]
    assert result["__typename"] == "DocumentFolderSuccess", result
    return int(result["folder"]["id"])


async def names(client: GraphQLClient, **variables: Any) -> list[str]:
    data = await client.data(DOCUMENTS, **variables)
    return [edge["node"]["fileName"] for edge in data["documents"]["edges"]]


async def mutate(client: GraphQLClient, mutation: str, **variables: Any) -> dict[str, Any]:
    """The one result of ``mutation`` (a field name with its arguments), with its typename
    and error fields."""
    data = await client.data(
        f"mutation {{ {mutation} {{ __typename ... on Error {{ code field message }} }} }}",
        **variables,
    )
    result: dict[str, Any] = next(iter(data.values()))
    return result


async def download(client: GraphQLClient, document_id: int) -> Any:
    return await client.http.get(
        f"/documents/{document_id}", headers={"Authorization": f"Bearer {client.token}"}
    )
