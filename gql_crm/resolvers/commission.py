from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry

from gql_crm.context import Info
from gql_crm.db.models.commission import CommissionPlan
from gql_crm.resolvers.common import read
from gql_crm.resolvers.kit import mutation
from gql_crm.schema.commission import (
    CommissionType,
    PlanInput,
    PlanType,
    RulesInput,
    TotalType,
    rules_of,
)
from gql_crm.schema.common import requires
from gql_crm.schema.errors import BadRequest
from gql_crm.services import commission as service
from gql_crm.services.commission import ADMIN_EDIT, STATISTICS_VIEW
from gql_crm.services.unit_of_work import UnitOfWork


@strawberry.type(name="CommissionPlanSuccess")
class Plan:
    plan: PlanType = strawberry.field(description="The plan as saved, with its versions.")


EffectiveFrom = Annotated[
    date, strawberry.argument(description="The first day the new rules may apply from.")
]
NewRules = Annotated[RulesInput, strawberry.argument(description="The new rules, in full.")]
PeriodArgument = Annotated[
    str, strawberry.argument(description="A month (2026-05), a quarter (2026-Q2) or a year.")
]


async def _create(uow: UnitOfWork, input: dict[str, Any]) -> CommissionPlan:
    return await service.create_plan(
        uow, input["name"], input["kind"], input["effective_from"], rules_of(input["rules"])
    )


async def _revise(
    uow: UnitOfWork, plan_id: int, effective_from: date, rules: dict[str, Any]
) -> CommissionPlan:
    return await service.revise_plan(uow, plan_id, effective_from, rules_of(_Given(rules)))


class _Given:
    """An input's values (a dict) read as attributes, as ``rules_of`` reads an input."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


async def _found(
    info: Info, period: str, user_ids: list[int] | None, detailed: bool = True
) -> list[service.Commission]:
    principal = info.context.require_principal()
    try:
        return await read(
            info,
            lambda s: service.commissions(s, principal, period, user_ids, detailed=detailed),
        )
    except ValueError as problem:
        raise BadRequest(str(problem)) from None


async def _commissions(info: Info, period: str, user_ids: list[int] | None) -> list[CommissionType]:
    return [CommissionType.of(c) for c in await _found(info, period, user_ids)]


@strawberry.type
class CommissionQuery:
    @strawberry.field(
        extensions=[requires(STATISTICS_VIEW)],
        description="The commission plans, each with its versions.",
    )
    async def commission_plans(self, info: Info) -> list[PlanType]:
        plans = await read(info, service.plans)
        return [PlanType.from_model(p) for p in plans]

    @strawberry.field(description="Your own commission for a period, with its breakdown.")
    async def my_commission(self, info: Info, period: PeriodArgument) -> CommissionType:
        [mine] = await _commissions(info, period, [info.context.require_principal().user_id])
        return mine

    @strawberry.field(
        extensions=[requires(STATISTICS_VIEW)],
        description="The commission of a person in your data scope for a period, with its "
        "breakdown line by line (which order, which rule, which tier).",
    )
    async def commission(self, info: Info, period: PeriodArgument, user_id: int) -> CommissionType:
        [found] = await _commissions(info, period, [user_id])
        return found

    @strawberry.field(
        extensions=[requires(STATISTICS_VIEW)],
        description="The commission of everyone in your data scope whom a plan pays.",
    )
    async def commissions(self, info: Info, period: PeriodArgument) -> list[TotalType]:
        found = await _found(info, period, None, detailed=False)
        return [TotalType(user_id=c.user_id, period=c.period, amount=c.amount) for c in found]


@strawberry.type
class CommissionMutation:
    create_commission_plan = mutation(
        _create, Plan, needs=ADMIN_EDIT, input=PlanInput,
        description="A new commission plan with its first version.",
    )  # fmt: skip
    revise_commission_plan = mutation(
        _revise, Plan, needs=ADMIN_EDIT, plan_id=int, effective_from=EffectiveFrom, rules=NewRules,
        description="A new version of a plan's rules, taking effect today or later: periods "
        "already begun keep the rules they had.",
    )  # fmt: skip
