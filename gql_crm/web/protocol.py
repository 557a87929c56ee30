"""GraphQL over HTTP: the response media type a client asked for, the status codes that go
with it, and refusals of requests that cannot be executed, as GraphQL errors with a code.

``application/graphql-response+json`` (the GraphQL-over-HTTP specification's own media type)
is answered to clients that accept it: a request that was not executed (unparsable body,
syntax or validation error, bad variables...) gets a 4xx status and no ``data`` entry.
``application/json`` stays for everyone else, with the legacy rules of the same
specification: 200 for any well-formed GraphQL response, 4xx only for requests that are not
GraphQL requests at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.responses import Response

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


def response_media_type(accept: str | None) -> str:
    """``application/graphql-response+json`` when the client accepts it at least as much as
    ``application/json``; ``application/json`` otherwise (also for ``*/*`` and no Accept)."""
    preferred, legacy = 0.0, 0.0
    for part in (accept or "").split(","):
        media_range, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media_range = media_range.lower()
        if media_range == GRAPHQL_RESPONSE_JSON:
            preferred = max(preferred, quality)
        elif media_range in (JSON, "application/*", "*/*"):
            legacy = max(legacy, quality)
    return GRAPHQL_RESPONSE_JSON if preferred > 0 and preferred >= legacy else JSON


@dataclass(frozen=True, slots=True)
class Outcome:
    """One operation's response body and the status it asks for under each media type."""

    body: dict[str, Any]
    status: int = 200
    legacy_status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)

    def status_for(self, media_type: str) -> int:
        return self.status if media_type == GRAPHQL_RESPONSE_JSON else self.legacy_status


class RequestRefused(Exception):
    """A request (or one operation of a batch) that is not executed, with its error code.

    ``status`` is sent with ``application/graphql-response+json``; ``legacy_status`` with
    ``application/json``, where errors of GraphQL itself (an unknown operation, a persisted
    query not found) travel with 200 as they always did, and only malformed requests get 4xx.
    """

    def __init__(
        self,
        message: str,
        code: str,
        *,
        status: int = 400,
        legacy_status: int | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.legacy_status = status if legacy_status is None else legacy_status
        self.headers = headers or {}
        self.extensions = extensions

    def outcome(self) -> Outcome:
        error = GraphQLError(self.message, extensions={"code": self.code, **self.extensions})
        body = {"errors": [error.formatted]}
        return Outcome(body, self.status, self.legacy_status, self.headers)

    def response(self, accept: str | None) -> Response:
        """The refusal on its own, for a client that sent ``accept`` (outside the GraphQL
        view: the edge's limits, downloads)."""
        media_type = response_media_type(accept)
        outcome = self.outcome()
        return Response(
            orjson.dumps(outcome.body),
            outcome.status_for(media_type),
            headers=dict(outcome.headers),
            media_type=media_type,
        )


def bad_request(message: str, status: int = 400) -> RequestRefused:
    """A request that is not a well-formed GraphQL request (4xx under both media types)."""
    return RequestRefused(message, "BAD_REQUEST", status=status)


def graphql_refusal(message: str, code: str) -> RequestRefused:
    """A well-formed request GraphQL cannot execute (400, or 200 under application/json)."""
    return RequestRefused(message, code, status=400, legacy_status=200)


def executed_outcome(body: dict[str, Any], errors: list[GraphQLError] | None) -> Outcome:
    """The outcome of a request Strawberry handled: one that stopped before execution
    (parse, validation or variable errors: no ``data`` and no error with a path) has no
    ``data`` entry and a 400 under the specification's media type."""
    if body.get("data") is None and errors and all(error.path is None for error in errors):
        body = {key: value for key, value in body.items() if key != "data"}
        failed = any(
            (error.extensions or {}).get("code") == "INTERNAL_SERVER_ERROR" for error in errors
        )
        return Outcome(body, status=500 if failed else 400, legacy_status=200)
    return Outcome(body)
