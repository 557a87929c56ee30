from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry

from gql_crm.db.models.commission import CommissionKind, CommissionPlan, CommissionPlanVersion
from gql_crm.loaders.batch import children
from gql_crm.schema.kit import related
from gql_crm.schema.user import UserType
from gql_crm.services import commission as service

strawberry.enum(CommissionKind, name="CommissionKind", description="Whose sales a plan pays on.")
strawberry.enum(service.Basis, name="CommissionBasis", description="How a plan pays.")
strawberry.enum(
    service.Counting, name="CommissionCounting", description="What a plan counts as sales."
)
strawberry.enum(
    service.PeriodKind, name="CommissionPeriodKind", description="How often a plan pays."
)
strawberry.enum(
    service.Method, name="CommissionMethod", description="What a rate applies to, or a fixed sum."
)
strawberry.enum(
    service.TierMode, name="CommissionTierMode", description="How tiers of thresholds apply."
)
versions_of_plan = children(CommissionPlanVersion.plan_id, CommissionPlanVersion.effective_from)


@strawberry.type(name="CommissionTier", description="From a threshold of the base upwards.")
class TierType:
    threshold: Decimal = strawberry.field(description="Reached when the base is at least this.")
    value: Decimal = strawberry.field(
        description="A rate as a fraction (0.03 is 3 %), or with method FIXED an amount."
    )


@strawberry.type(name="CommissionLevel", description="A named level such as one-star.")
class LevelType:
    name: str = strawberry.field(description="The level's name.")
    value: Decimal = strawberry.field(
        description="Per period: a rate of the base as a fraction, or with FIXED an amount."
    )


@strawberry.type(name="CommissionLevelAssignment", description="A person's level in a plan.")
class AssignmentType:
    user_id: int
    level: str = strawberry.field(description="The name of one of the plan's levels.")


@strawberry.type(name="CommissionProductRule", description="What a product's order lines earn.")
class ProductRuleType:
    product_id: int
    method: service.Method = strawberry.field(
        description="A rate of the line amount or margin, or FIXED: an amount per unit."
    )
    value: Decimal = strawberry.field(description="The rate (a fraction) or the amount.")
    department_id: int | None = strawberry.field(
        description="Only for members of this department (beats the general rule)."
    )
    user_id: int | None = strawberry.field(
        description="Only for this salesperson (beats a department's rule)."
    )


@strawberry.type(name="CommissionRules", description="A plan version's rules.")
class RulesType:
    basis: service.Basis = strawberry.field(description="By total, by level or by product.")
    period: service.PeriodKind = strawberry.field(description="How often the plan pays.")
    counting: service.Counting = strawberry.field(
        description="Signed orders (by sign date) or payments received (by date received); "
        "refunds are deducted either way, when paid back."
    )
    method: service.Method = strawberry.field(
        description="By total and by level: what the rate applies to, or FIXED amounts."
    )
    member_ids: list[int] = strawberry.field(
        description="The people the plan pays (by level: also everyone given a level)."
    )
    tiers: list[TierType] = strawberry.field(description="By total: thresholds, lowest first.")
    tier_mode: service.TierMode = strawberry.field(
        description="WHOLE: the highest tier reached applies to the whole base; MARGINAL: each "
        "tier's rate to the part of the base between its threshold and the next."
    )
    levels: list[LevelType] = strawberry.field(description="By level: the levels.")
    assignments: list[AssignmentType] = strawberry.field(description="By level: who has which.")
    products: list[ProductRuleType] = strawberry.field(description="By product: the rules.")

    @classmethod
    def of(cls, rules: service.Rules) -> RulesType:
        return cls(
            basis=rules.basis, period=rules.period, counting=rules.counting,
            method=rules.method, member_ids=list(rules.member_ids),
            tiers=[TierType(threshold=t.threshold, value=t.value) for t in rules.tiers],
            tier_mode=rules.tier_mode,
            levels=[LevelType(name=lv.name, value=lv.value) for lv in rules.levels],
            assignments=[AssignmentType(user_id=u, level=n) for u, n in rules.assignments],
            products=[
                ProductRuleType(product_id=p.product_id, method=p.method, value=p.value,
                                department_id=p.department_id, user_id=p.user_id)
                for p in rules.products
            ],
        )  # fmt: skip


@strawberry.type(
    name="CommissionPlanVersion",
    description="A plan's rules from the first of its periods starting on or after "
    "effectiveFrom until the next version; versions are never edited.",
)
class VersionType:
    id: int
    effective_from: date = strawberry.field(description="When these rules take effect.")
    rules: RulesType = strawberry.field(description="The rules.")
    created_at: datetime

    @classmethod
    def from_model(cls, row: CommissionPlanVersion) -> VersionType:
        rules = RulesType.of(service.Rules.from_json(row.rules))
        return cls(id=row.id, effective_from=row.effective_from, rules=rules,
                   created_at=row.created_at)  # fmt: skip


@strawberry.type(
    name="CommissionPlan",
    description="A sales plan pays a salesperson on their own sales; a management plan pays "
    "a manager on the sales of the departments they manage.",
)
class PlanType:
    id: int
    name: str = strawberry.field(description="The plan's name.")
    kind: CommissionKind = strawberry.field(description="Sales or management.")
    created_at: datetime
    versions = related(VersionType, "id", versions_of_plan, many=True, description="Oldest first.")

    @classmethod
    def from_model(cls, row: CommissionPlan) -> PlanType:
        return cls(id=row.id, name=row.name, kind=row.kind, created_at=row.created_at)


@strawberry.input(name="CommissionTierInput", description="A tier of a plan by total.")
class TierInput:
    threshold: Decimal = strawberry.field(description="Reached when the base is at least this.")
    value: Decimal = strawberry.field(
        description="A rate as a fraction (0.03 is 3 %), or with method FIXED an amount."
    )


@strawberry.input(name="CommissionLevelInput", description="A level of a plan by level.")
class LevelInput:
    name: str = strawberry.field(description="Such as one-star.")
    value: Decimal = strawberry.field(
        description="Per period: a rate as a fraction, or with method FIXED an amount."
    )


@strawberry.input(name="CommissionLevelAssignmentInput", description="Gives a person a level.")
class AssignmentInput:
    user_id: int
    level: str = strawberry.field(description="The name of one of the plan's levels.")


@strawberry.input(name="CommissionProductRuleInput", description="What a product's lines earn.")
class ProductRuleInput:
    product_id: int
    method: service.Method = strawberry.field(
        description="A rate of the line amount or margin, or FIXED: an amount per unit."
    )
    value: Decimal = strawberry.field(description="The rate (a fraction) or the amount.")
    department_id: int | None = strawberry.field(
        default=None, description="Only for members of this department."
    )
    user_id: int | None = strawberry.field(default=None, description="Only for this person.")


@strawberry.input(name="CommissionRulesInput", description="The rules of a plan version.")
class RulesInput:
    basis: service.Basis = strawberry.field(description="By total, by level or by product.")
    period: service.PeriodKind = strawberry.field(description="How often the plan pays.")
    counting: service.Counting = strawberry.field(
        default=service.Counting.SIGNED_ORDERS,
        description="Signed orders or payments received; refunds are deducted either way.",
    )
    method: service.Method = strawberry.field(
        default=service.Method.PERCENT_OF_SALES,
        description="By total and by level: what a rate applies to, or FIXED amounts.",
    )
    member_ids: list[int] = strawberry.field(
        default_factory=list, description="The people the plan pays."
    )
    tiers: list[TierInput] = strawberry.field(default_factory=list, description="By total.")
    tier_mode: service.TierMode = strawberry.field(
        default=service.TierMode.WHOLE,
        description="WHOLE: the highest tier reached applies to the whole base; MARGINAL: "
        "each tier to the part of the base within it.",
    )
    levels: list[LevelInput] = strawberry.field(default_factory=list, description="By level.")
    assignments: list[AssignmentInput] = strawberry.field(
        default_factory=list, description="By level: who has which level."
    )
    products: list[ProductRuleInput] = strawberry.field(
        default_factory=list, description="By product."
    )


def rules_of(given: Any) -> service.Rules:
    """The service's rules from a ``CommissionRulesInput``."""
    return service.Rules(
        basis=given.basis, period=given.period, counting=given.counting, method=given.method,
        member_ids=tuple(given.member_ids),
        tiers=tuple(service.Tier(t.threshold, t.value) for t in given.tiers),
        tier_mode=given.tier_mode,
        levels=tuple(service.Level(lv.name.strip(), lv.value) for lv in given.levels),
        assignments=tuple((a.user_id, a.level.strip()) for a in given.assignments),
        products=tuple(
            service.ProductRule(p.product_id, p.method, p.value, p.department_id, p.user_id)
            for p in given.products
        ),
    )  # fmt: skip


@strawberry.type(name="CommissionLine", description="One line of a commission's breakdown.")
class LineType:
    plan_id: int
    plan_name: str = strawberry.field(description="The plan that pays it.")
    version_id: int = strawberry.field(description="The plan version whose rules applied.")
    period: str = strawberry.field(description="The plan period: 2026, 2026-Q2 or 2026-05.")
    source: str = strawberry.field(
        description="sale, payment or refund (an order's contribution; a refund is negative "
        "and names the order it belongs to), tier (a tier's part, marginal plans), level "
        "(a level's fixed amount) or product (by product: a line's commission)."
    )
    amount: Decimal = strawberry.field(description="Commission from this line, exact.")
    rule: str = strawberry.field(description="The rule that applied, in words.")
    order_id: int | None
    day: date | None = strawberry.field(description="The company day it counts on.")
    base: Decimal | None = strawberry.field(description="What the rate applied to.")
    rate: Decimal | None = strawberry.field(description="The rate as a fraction.")
    threshold: Decimal | None = strawberry.field(description="The tier's threshold.")
    product_id: int | None


@strawberry.type(
    name="Commission",
    description="What a person earns for a period under every plan that pays them: each plan "
    "period's amount is rounded to the cent (half up), and the lines show the exact figures.",
)
class CommissionType:
    user_id: int
    period: str = strawberry.field(description="2026, 2026-Q2 or 2026-05.")
    amount: Decimal = strawberry.field(description="The total.")
    lines: list[LineType] = strawberry.field(description="The breakdown, plan by plan.")
    user = related(UserType, "user_id", "user", description="Whom it is paid to.")

    @classmethod
    def of(cls, found: service.Commission) -> CommissionType:
        return cls(
            user_id=found.user_id, period=found.period, amount=found.amount,
            lines=[LineType(**{f: getattr(line, f) for f in LINE_FIELDS}) for line in found.lines],
        )  # fmt: skip


@strawberry.type(
    name="CommissionTotal",
    description="What a person earns for a period under every plan that pays them, without "
    "the breakdown (ask `commission` for it); the same amount as `commission` gives.",
)
class TotalType:
    user_id: int
    period: str = strawberry.field(description="2026, 2026-Q2 or 2026-05.")
    amount: Decimal = strawberry.field(description="The total.")
    user = related(UserType, "user_id", "user", description="Whom it is paid to.")


LINE_FIELDS = (
    "plan_id", "plan_name", "version_id", "period", "source", "amount", "rule", "order_id",
    "day", "base", "rate", "threshold", "product_id",
)  # fmt: skip


@strawberry.input(name="CommissionPlanInput", description="A new plan and its first rules.")
class PlanInput:
    name: str = strawberry.field(description="Unique among plans.")
    kind: CommissionKind = strawberry.field(description="Sales or management.")
    effective_from: date = strawberry.field(
        description="The rules apply from the first plan period starting on or after it."
    )
    rules: RulesInput = strawberry.field(description="The rules.")
