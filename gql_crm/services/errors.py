"""Expected failures of domain operations: returned to clients as data, never masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class DomainError(Exception):
    code = "DOMAIN_ERROR"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    message: str


class InvalidInput(DomainError):
    """One or more input fields are wrong; ``problems`` names each."""

    code = "INVALID_INPUT"

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        summary = "; ".join(f"{p.field}: {p.message}" for p in problems)
        super().__init__(summary, first.field)
        self.problems = problems

    @classmethod
    def single(cls, field: str, message: str) -> InvalidInput:
        return cls([Problem(field, message)])


class NotFound(DomainError):
    code = "NOT_FOUND"

    def __init__(self, entity: str, entity_id: int | str, field: str | None = "id") -> None:
        super().__init__(f"{entity} {entity_id} does not exist or is not visible to you.", field)


class Conflict(DomainError):
    """The operation contradicts the current state (in use, duplicate, would form a cycle)."""

    code = "CONFLICT"


class InvalidCredentials(DomainError):
    code = "INVALID_CREDENTIALS"

    def __init__(self) -> None:
        super().__init__("Login name or password is wrong, or the account is deactivated.")


class TooManyAttempts(DomainError):
    code = "TOO_MANY_ATTEMPTS"

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(
            f"Too many failed logins for this login name; try again after "
            f"{retry_at.isoformat(timespec='seconds')}.",
            "loginName",
        )
        self.retry_at = retry_at


class Problems:
    """Collects input problems so a caller hears about every bad field at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        self.items.append(Problem(field, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidInput(self.items)
