"""A small GraphQL client over the ASGI app, signed in as a demo user or anonymous."""

from __future__ import annotations

from typing import Any

import httpx

LOGIN = """
mutation Login($loginName: String!, $password: String!) {
  login(loginName: $loginName, password: $password) {
    __typename
    ... on LoginSuccess { token expiresAt user { id loginName } }
    ... on Error { code message field }
  }
}
"""


class GraphQLError(AssertionError):
    pass


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient, token: str | None = None) -> None:
        self.http = http
        self.token = token
        self.user_id: int | None = None

    async def execute(self, query: str, **variables: Any) -> dict[str, Any]:
        """The whole response body (data and errors)."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of a response that must have no errors."""
        body = await self.execute(query, **variables)
        if body.get("errors"):
            raise GraphQLError(body["errors"])
        data: dict[str, Any] = body["data"]
        return data

    async def error_codes(self, query: str, **variables: Any) -> list[str]:
        body = await self.execute(query, **variables)
        return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]

    async def login(self, login_name: str, password: str) -> dict[str, Any]:
        result: dict[str, Any] = (await self.data(LOGIN, loginName=login_name, password=password))[
            "login"
        ]
        return result

    async def as_user(
        self, login_name: str, password: str = "demo-password", *, first_request: bool = True
    ) -> GraphQLClient:
        result = await self.login(login_name, password)
        assert result["__typename"] == "LoginSuccess", result
        client = GraphQLClient(self.http, result["token"])
        client.user_id = int(result["user"]["id"])
        # A first request, as a signed-in front end makes: the server has read the token's
        # principal once, so that statement counts measure the requests that follow.
        if first_request:
            await client.data("{ me { id } }")
        return client
