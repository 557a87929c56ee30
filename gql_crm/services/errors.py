"""Expected failures of domain operations: returned to clients as data, never masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from gql_crm.db.models import BanReason, Pool


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


class ModuleDisabled(DomainError):
    """A module the company turned off in its system settings."""

    code = "MODULE_DISABLED"


class Conflict(DomainError):
    """The operation contradicts the current state (in use, duplicate, would form a cycle)."""

    code = "CONFLICT"


class InvalidCredentials(DomainError):
    code = "INVALID_CREDENTIALS"

    def __init__(self) -> None:
        super().__init__("Login name or password is wrong, or the account is deactivated.")


class TooManyAttempts(DomainError):
    code = "TOO_MANY_ATTEMPTS"

    def __init__(
        self,
        retry_at: datetime,
        reason: str = "Too many failed logins for this login name from this client",
        field: str = "loginName",
    ) -> None:
        super().__init__(
            f"{reason}; try again after {retry_at.isoformat(timespec='seconds')}.", field
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


class CapReached(DomainError):
    code = "POOL_CAP_REACHED"

    def __init__(self, user_name: str, pool: Pool, cap: int, held: int, adding: int) -> None:
        more = "one more" if adding == 1 else f"{adding} more"
        super().__init__(
            f"{user_name} holds {held} customer(s) in the {pool} pool, where at most {cap} are "
            f"allowed; {more} would exceed that.",
            "pool",
        )
        self.pool = pool
        self.cap = cap


class ClaimBanned(DomainError):
    code = "CLAIM_BANNED"

    def __init__(self, reason: BanReason, until: datetime | None) -> None:
        why = {
            BanReason.TEMPORARY_ENTERED: "it fell back to the public pool from your temporary "
            "pool (entered by you) without a follow-up",
            BanReason.PUBLIC_CLAIMED: "it fell back to the public pool after you claimed it "
            "without following it up",
            BanReason.PRIVATE_NO_CONTACT: "it fell back from your private pool without contact",
        }[reason]
        if until is None:
            text = f"You may never claim this customer again: {why}."
        else:
            end = until.isoformat(timespec="seconds")
            text = f"You may not claim this customer until {end}: {why}."
        super().__init__(text, "id")
        self.reason = reason
        self.until = until


class NotClaimable(DomainError):
    code = "NOT_CLAIMABLE"


class BatchRefused(DomainError):
    """A batch changed nothing because of the listed customers."""

    code = "BATCH_REFUSED"

    def __init__(self, failures: list[tuple[int, str]]) -> None:
        listed = "; ".join(f"customer {cid}: {why}" for cid, why in failures)
        super().__init__(f"Nothing was changed. {listed}", "customerIds")
        self.failures = failures


class AmountExceeded(DomainError):
    """An amount or quantity goes beyond what the record allows (over-payment, a refund
    beyond what was paid, a delivery beyond what was ordered); ``limit`` is what is left."""

    code = "AMOUNT_EXCEEDED"

    def __init__(self, message: str, field: str, limit: Decimal) -> None:
        super().__init__(message, field)
        self.limit = limit


class AlreadyDecided(DomainError):
    """An approval was asked for a record that is no longer pending."""

    code = "ALREADY_DECIDED"
