"""Requests turned away before GraphQL runs them, answered as GraphQL responses.

A ``Refused`` raised anywhere below the edge middleware (``web/edge.py``), be it in the
GraphQL view's context or in a route, becomes its response there, as long as none has
started: a refusal need not thread a response object through Strawberry.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class Refused(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def graphql_refusal(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Refused:
    """One error with its code (GraphQL over HTTP: a request that did not run has no
    ``data``)."""
    error = {"message": message, "extensions": {"code": code, **extensions}}
    body = orjson.dumps({"errors": [error]})
    return Refused(
        Response(body, status_code=status, headers=headers, media_type="application/json")
    )
