from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Any

import strawberry

from gql_crm.auth.permissions import ADMIN_EDIT
from gql_crm.context import Info
from gql_crm.db.models import StageOutcome
from gql_crm.resolvers.common import read
from gql_crm.resolvers.kit import connection, default, mutation
from gql_crm.schema.common import ConflictError, DeleteSuccess, NotFoundError, requires, while_on
from gql_crm.schema.errors import BadRequest
from gql_crm.schema.kit import values_of
from gql_crm.schema.opportunity import (
    ForecastRow,
    FunnelStage,
    OpportunityDetailInput,
    OpportunityDetailSuccess,
    OpportunityFilterInput,
    OpportunityInput,
    OpportunityStageSuccess,
    OpportunityStageType,
    OpportunitySuccess,
    OpportunityType,
    SalesForecast,
    StageOutcomeEnum,
)
from gql_crm.services import opportunity as service
from gql_crm.services.opportunity import (
    OPPORTUNITY_CREATE,
    OPPORTUNITY_DELETE,
    OPPORTUNITY_EDIT,
    OPPORTUNITY_VIEW,
)

DELETED: dict[str, Any] = {
    "failures": (NotFoundError, ConflictError),
    "union": "DeleteOpportunityResult",
}


@strawberry.type
class OpportunityQuery:
    @strawberry.field(description="The sales stages in order.")
    async def opportunity_stages(self, info: Info) -> list[OpportunityStageType]:
        info.context.require_principal()
        return [OpportunityStageType.from_model(s) for s in await read(info, service.stages)]

    @strawberry.field(
        extensions=[requires(OPPORTUNITY_VIEW)],
        description="One opportunity you may see, by id (null: none you may see).",
    )
    async def opportunity(self, info: Info, id: int) -> OpportunityType | None:
        principal = info.context.require_principal()
        row = await read(info, partial(service.find_opportunity, principal=principal, id=id))
        return OpportunityType.from_model(row) if row else None

    opportunities = connection(
        service.opportunity_query, OpportunityType, service.RECENTLY_CHANGED,
        needs=OPPORTUNITY_VIEW, filter=OpportunityFilterInput | None,
        description="Opportunities you may see, most recently changed first.",
    )  # fmt: skip

    @strawberry.field(
        extensions=[requires(OPPORTUNITY_VIEW)],
        description="Per stage, in order (empty stages included): count and sum of expected "
        "amounts of the opportunities you may see that match the filter.",
    )
    async def sales_funnel(
        self, info: Info, filter: OpportunityFilterInput | None = None
    ) -> list[FunnelStage]:
        principal = info.context.require_principal()
        given = values_of(filter) if filter else None
        rows = await read(info, partial(service.funnel, principal=principal, filter=given))
        return [
            FunnelStage(
                stage=OpportunityStageType.from_model(r.stage), count=r.count, amount=r.amount
            )
            for r in rows
        ]

    @strawberry.field(
        extensions=[requires(OPPORTUNITY_VIEW)],
        description="Open opportunities expected to sign between the two dates (inclusive), "
        "by user and by department, within your data scope. Left out, the period is the "
        f"next {service.FORECAST_DAYS} days from today (in the company's time zone).",
    )
    async def sales_forecast(
        self,
        info: Info,
        expected_from: Annotated[
            date | None, strawberry.argument(description="First day; defaults to today.")
        ] = None,
        expected_to: Annotated[
            date | None,
            strawberry.argument(
                description=f"Last day; defaults to {service.FORECAST_DAYS} days after the first."
            ),
        ] = None,
        department_id: int | None = None,
        owner_id: int | None = None,
    ) -> SalesForecast:
        settings = await info.context.loaders.settings()
        expected_from, expected_to = service.forecast_period(
            settings, info.context.services.clock.now(), expected_from, expected_to
        )
        if expected_to < expected_from:
            raise BadRequest("expectedTo must not be before expectedFrom.")
        principal = info.context.require_principal()
        forecast = await read(
            info,
            partial(
                service.forecast,
                principal=principal,
                expected_from=expected_from,
                expected_to=expected_to,
                department_id=department_id,
                owner_id=owner_id,
            ),
        )
        return SalesForecast(
            expected_from=expected_from,
            expected_to=expected_to,
            total=ForecastRow.of(forecast.total, by_user=False),
            by_user=[ForecastRow.of(r, by_user=True) for r in forecast.by_user],
            by_department=[ForecastRow.of(r, by_user=False) for r in forecast.by_department],
        )


@strawberry.type
class OpportunityMutation:
    create_opportunity = mutation(
        service.create_opportunity, OpportunitySuccess, needs=OPPORTUNITY_CREATE,
        customer_id=int, input=OpportunityInput,
        description="Creates an opportunity for a customer, at the stage the input names.",
    )  # fmt: skip
    update_opportunity = mutation(
        service.update_opportunity, OpportunitySuccess, needs=OPPORTUNITY_EDIT,
        id=int, input=OpportunityInput,
        description="A change of stage, amount, probability or expected sign date appends to "
        "the stage history.",
    )  # fmt: skip
    delete_opportunity = mutation(
        service.delete_opportunity,
        DeleteSuccess,
        needs=OPPORTUNITY_DELETE,
        id=int,
        **DELETED,
        description="Deletes an opportunity for good.",
    )
    add_opportunity_detail = mutation(
        service.add_detail, OpportunityDetailSuccess, needs=OPPORTUNITY_EDIT,
        opportunity_id=int, input=OpportunityDetailInput,
        description="Adds a requirement, solution, quote or competitor to an opportunity.",
    )  # fmt: skip
    delete_opportunity_detail = mutation(
        service.delete_detail,
        DeleteSuccess,
        needs=OPPORTUNITY_EDIT,
        id=int,
        **DELETED,
        description="Deletes an opportunity detail for good.",
    )
    create_opportunity_stage = mutation(
        service.create_stage, OpportunityStageSuccess, needs=ADMIN_EDIT,
        name=str, outcome=default(StageOutcomeEnum, StageOutcome.OPEN), sort_order=int | None,
        description="Add a sales stage.",
    )  # fmt: skip
    update_opportunity_stage = mutation(
        service.update_stage, OpportunityStageSuccess, needs=ADMIN_EDIT,
        id=int, name=str, sort_order=int, description="Rename or move a stage.",
    )  # fmt: skip
    delete_opportunity_stage = mutation(
        service.delete_stage, DeleteSuccess, needs=ADMIN_EDIT, id=int, **DELETED,
        description="Refused for stages ever used.",
    )  # fmt: skip


# The company may turn opportunity management off: every field of the module says so then.
OPPORTUNITIES_OFF = (
    "Opportunity management is turned off for this company (system setting opportunitiesEnabled)."
)
_roots: tuple[Any, ...] = (OpportunityQuery, OpportunityMutation)
for _root in _roots:
    for _field in _root.__strawberry_definition__.fields:
        _field.extensions.append(while_on("opportunities_enabled", OPPORTUNITIES_OFF))
