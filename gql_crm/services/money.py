"""Money arithmetic shared by the pipeline: cents, rounding and the checks on amounts."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MAX_MONEY = Decimal("999999999999.99")  # Numeric(14, 2)


def cents(value: Decimal) -> Decimal:
    """Round half up to the cent: the one rounding rule of every computed amount."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money_problem(value: Decimal, *, positive: bool = False) -> str | None:
    if not value.is_finite():
        return "must be a number"
    if value < 0:
        return f"must not be negative (got {value})"
    if positive and value == 0:
        return "must be more than zero"
    if value > MAX_MONEY:
        return f"must be at most {MAX_MONEY}"
    if value != value.quantize(CENT):
        return f"must have at most two decimal places (got {value})"
    return None


def quantity_problem(value: Decimal) -> str | None:
    if not value.is_finite():
        return "must be a number"
    if value <= 0:
        return f"must be more than zero (got {value})"
    if value > Decimal("9999999999.99") or value != value.quantize(CENT):
        return f"must be at most 9999999999.99 with two decimal places (got {value})"
    return None
