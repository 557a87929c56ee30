"""Each basis and method computed by hand: tiers reached exactly at their threshold, whole
versus marginal tiers, margins, levels, products, and a negative base clawed back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from gql_crm.db.models.commission import CommissionKind
from gql_crm.services.commission import (
    Basis,
    Entry,
    Level,
    Method,
    OrderFacts,
    Period,
    PeriodKind,
    PlanVersion,
    ProductRule,
    Rules,
    Tier,
    TierMode,
    compute,
)

Q1 = Period.of(PeriodKind.QUARTER, 2026, 1)
D = Decimal
SELLER = 7


def plan(**rules: object) -> PlanVersion:
    defaults: dict[str, object] = {"basis": Basis.TOTAL, "period": PeriodKind.QUARTER}
    made = Rules(**{**defaults, **rules})  # type: ignore[arg-type]
    return PlanVersion(1, "Plan", CommissionKind.SALES, 1, date(2026, 1, 1), made)


def sale(amount: str, cost: str = "0", order_id: int = 1, lines: tuple = ()) -> Entry:  # type: ignore[type-arg]
    order = OrderFacts(order_id, SELLER, D(amount), D(cost), lines)
    return Entry("sale", date(2026, 2, 1), order, D(amount), order_id)


TIERS = (Tier(D(0), D("0.01")), Tier(D(100000), D("0.03")))


def test_whole_tiers_reach_the_higher_rate_exactly_at_the_threshold() -> None:
    whole = plan(tiers=TIERS, tier_mode=TierMode.WHOLE)
    assert compute(whole, Q1, SELLER, [sale("100000")])[0] == D("3000.00")
    below, lines = compute(whole, Q1, SELLER, [sale("60000"), sale("39999.99", order_id=2)])
    assert below == D("1000.00")  # 99,999.99 x 1 % = 999.9999, rounded half up
    assert [line.order_id for line in lines] == [1, 2]
    assert {line.rate for line in lines} == {D("0.01")}


def test_marginal_tiers_pay_each_rate_on_the_part_in_its_tier() -> None:
    marginal = plan(tiers=TIERS, tier_mode=TierMode.MARGINAL)
    amount, lines = compute(marginal, Q1, SELLER, [sale("150000")])
    assert amount == D("2500.00")  # 100,000 x 1 % + 50,000 x 3 %
    tiers = [(line.threshold, line.base, line.amount) for line in lines if line.source == "tier"]
    assert tiers == [(D(0), D(100000), D(1000)), (D(100000), D(50000), D(1500))]
    at_threshold, _ = compute(marginal, Q1, SELLER, [sale("100000")])
    assert at_threshold == D("1000.00")


def test_percent_of_margin_takes_the_cost_off() -> None:
    margin = plan(tiers=(Tier(D(0), D("0.1")),), method=Method.PERCENT_OF_MARGIN)
    assert compute(margin, Q1, SELLER, [sale("1000", cost="400")])[0] == D("60.00")


def test_fixed_amounts_by_tier() -> None:
    tiers = (Tier(D(50000), D(500)), Tier(D(100000), D(1500)))
    whole = plan(tiers=tiers, method=Method.FIXED)
    assert compute(whole, Q1, SELLER, [sale("100000")])[0] == D("1500.00")
    assert compute(whole, Q1, SELLER, [sale("49999.99")])[0] == D("0.00")
    marginal = plan(tiers=tiers, method=Method.FIXED, tier_mode=TierMode.MARGINAL)
    assert compute(marginal, Q1, SELLER, [sale("100000")])[0] == D("2000.00")


def test_a_negative_base_is_clawed_back_at_the_lowest_rate() -> None:
    refund = Entry("refund", date(2026, 2, 3), OrderFacts(9, SELLER, D(50000), D(0)), D(-20000), 4)
    amount, [line] = compute(plan(tiers=TIERS), Q1, SELLER, [refund])
    assert amount == D("-200.00")
    assert (line.source, line.order_id, line.amount) == ("refund", 9, D(-200))


def test_levels_earn_their_rate_or_their_amount() -> None:
    levels = (Level("one-star", D("0.02")), Level("two-star", D("0.05")))
    rated = plan(basis=Basis.LEVEL, levels=levels, assignments=((SELLER, "two-star"),))
    assert compute(rated, Q1, SELLER, [sale("10000")])[0] == D("500.00")
    assert compute(rated, Q1, 99, [sale("10000")])[0] == D("0")  # no level: nothing
    fixed = plan(
        basis=Basis.LEVEL, method=Method.FIXED, levels=(Level("one-star", D(800)),),
        assignments=((SELLER, "one-star"),),
    )  # fmt: skip
    amount, lines = compute(fixed, Q1, SELLER, [])
    assert amount == D("800.00") and lines[-1].source == "level"


def test_products_use_the_most_specific_rule() -> None:
    rules = (
        ProductRule(1, Method.PERCENT_OF_SALES, D("0.05")),
        ProductRule(1, Method.PERCENT_OF_SALES, D("0.10"), user_id=SELLER),
        ProductRule(2, Method.FIXED, D(2)),
        ProductRule(3, Method.PERCENT_OF_MARGIN, D("0.5"), department_id=4),
    )
    by_product = plan(basis=Basis.PRODUCT, products=rules, member_ids=(SELLER,))
    lines = ((1, D(1), D(1000), D(0)), (2, D(3), D(300), D(0)), (3, D(1), D(200), D(50)))
    order = sale("1500", lines=lines)
    # 1000 x 10 % (the seller's own rule) + 3 units x 2 + (200 - 50) x 50 % (department 4)
    assert compute(by_product, Q1, SELLER, [order], department_id=4)[0] == D("181.00")
    # Elsewhere: the general rule for product 1, none for product 3.
    assert compute(by_product, Q1, 8, [order], department_id=5)[0] == D("56.00")
    # A refund of a fifth of the order takes back a fifth of each line's commission.
    refund = Entry("refund", date(2026, 2, 9), order.order, D(-300), 5)
    assert compute(by_product, Q1, SELLER, [order, refund], department_id=4)[0] == D("144.80")


def test_periods() -> None:
    assert Period.parse("2026-Q2") == Period(
        PeriodKind.QUARTER, date(2026, 4, 1), date(2026, 6, 30)
    )
    assert Period.parse("2026-12").last == date(2026, 12, 31)
    assert [p.label for p in Period.parse("2026").split(PeriodKind.QUARTER)] == [
        "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4",
    ]  # fmt: skip
