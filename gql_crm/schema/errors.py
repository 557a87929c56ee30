"""Top-level GraphQL errors: codes in ``extensions.code``, unexpected failures masked."""

from __future__ import annotations

import logging

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

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


def _code_for(error: GraphQLError) -> str | None:
    original = error.original_error
    match original:
        case None:
            return "GRAPHQL_VALIDATION_FAILED" if error.path is None else None
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
        processed = []
        for error in errors:
            code = _code_for(error)
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
