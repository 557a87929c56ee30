"""Who is calling, what they may do and whose data they may see: computed in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gql_crm.auth.permissions import Advanced
from gql_crm.db.models.position import DataScope


class Forbidden(Exception):
    """The caller lacks a permission; reported as a top-level FORBIDDEN error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def forbidden_message(permission: str) -> str:
    return f"This needs the permission '{permission}'."


class Unauthenticated(Exception):
    """No valid token; reported as a top-level UNAUTHENTICATED error."""

    def __init__(self, message: str = "Sign in first: send a valid bearer token.") -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    login_name: str
    department_id: int | None
    permissions: frozenset[str]
    data_scope: DataScope
    # The owners whose records this principal may see; None means everyone (scope ALL).
    visible_owner_ids: frozenset[int] | None
    # When the token (or API key) this principal came from expires (ends live
    # subscriptions too).
    token_expires_at: datetime | None = None
    # The API key the caller authenticated with (None: a login token); its permissions are
    # already those of the key within the owner's.
    api_key_id: int | None = None

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if permission not in self.permissions:
            raise Forbidden(forbidden_message(permission))

    def can_see_owner(self, owner_id: int | None) -> bool:
        """Whether a record owned by ``owner_id`` is within this principal's data scope."""
        if self.visible_owner_ids is None:
            return True
        return owner_id is not None and owner_id in self.visible_owner_ids

    @property
    def sees_contact_details(self) -> bool:
        return Advanced.VIEW_CONTACT_DETAILS in self.permissions
