"""Top-level GraphQL errors: codes in ``extensions.code``, unexpected failures masked."""

from __future__ import annotations

import logging

from graphql.error import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors
from strawberry.types.execution import PreExecutionError

from gql_crm.auth.principal import Forbidden, Unauthenticated
from gql_crm.db.pagination import InvalidCursor
from gql_crm.services.errors import DomainError
from gql_crm.subscriptions.bus import BusUnavailable, SlowSubscriber
from gql_crm.subscriptions.live import PermissionsChanged

logger = logging.getLogger("gql_crm.errors")


class BadRequest(Exception):
    """A query argument is unusable (page size over the cap, malformed cursor...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _code_for(error: GraphQLError, *, executed: bool) -> str | None:
    if error.extensions and isinstance(code := error.extensions.get("code"), str):
        return code  # coded where it was raised (gql_crm/web/protocol.py)
    original = error.original_error
    match original:
        case None if isinstance(error, GraphQLSyntaxError):
            return "GRAPHQL_PARSE_FAILED"
        case None if error.path is not None:
            return None
        case None:
            # Without a path: from validation, or, once the operation is executing, from
            # coercing its variables (graphql-core raises those without an original error).
            return "BAD_USER_INPUT" if executed else "GRAPHQL_VALIDATION_FAILED"
        case Unauthenticated():
            return "UNAUTHENTICATED"
        case Forbidden():
            return "FORBIDDEN"
        case BadRequest() | InvalidCursor():
            return "BAD_USER_INPUT"
        case BusUnavailable():
            return "LIVE_UPDATES_INTERRUPTED"
        case SlowSubscriber():
            return "SLOW_CONSUMER"
        case PermissionsChanged():
            return "PERMISSIONS_CHANGED"
        case GraphQLError():
            # graphql-core wraps variable coercion failures (wrong type, unknown enum value).
            return "BAD_USER_INPUT"
        case DomainError(code=code):
            return code
    return None


class ErrorPolicy(MaskErrors):
    """Give every known error a code; hide the text of unexpected ones unless debugging."""

    def __init__(self, *, debug: bool) -> None:
        super().__init__(error_message="Unexpected error.")
        self.debug = debug

    def process(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        """The errors as clients see them (also used by the direct subscription path)."""
        return self._process_errors(errors)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        # Set for a schema operation; the direct subscription path calls ``process`` for
        # errors that are never variable coercion's.
        context = getattr(self, "execution_context", None)
        result = getattr(context, "result", None)
        executed = result is not None and not isinstance(result, PreExecutionError)
        processed = []
        for error in errors:
            code = _code_for(error, executed=executed)
            if code is not None:
                error.extensions = {**(error.extensions or {}), "code": code}
                processed.append(error)
                continue
            logger.error("unexpected error", exc_info=error.original_error or error)
            if self.debug:
                error.extensions = {**(error.extensions or {}), "code": "INTERNAL_SERVER_ERROR"}
                processed.append(error)
            else:
                masked = self.anonymise_error(error)
                masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
                processed.append(masked)
        return processed
