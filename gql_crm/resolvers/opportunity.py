from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import strawberry

from gql_crm.auth.permissions import ADMIN_EDIT
from gql_crm.context import Info
from gql_crm.db.models import Opportunity, StageOutcome
from gql_crm.db.pagination import SortKey
from gql_crm.resolvers.common import mutate, paginate
from gql_crm.schema.common import (
    ConflictError,
    Connection,
    DeleteSuccess,
    InvalidInputError,
    NotFoundError,
    deleted,
    requires,
)
from gql_crm.schema.errors import BadRequest
from gql_crm.schema.opportunity import (
    ForecastRow,
    FunnelStage,
    OpportunityDetailInput,
    OpportunityDetailSuccess,
    OpportunityDetailType,
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

OpportunityResult = Annotated[
    OpportunitySuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("OpportunityResult"),
]
OpportunityStageResult = Annotated[
    OpportunityStageSuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("OpportunityStageResult"),
]
OpportunityDetailResult = Annotated[
    OpportunityDetailSuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("OpportunityDetailResult"),
]
DeleteOpportunityResult = Annotated[
    DeleteSuccess | NotFoundError | ConflictError, strawberry.union("DeleteOpportunityResult")
]


def _fields(data: OpportunityInput) -> service.OpportunityFields:
    return service.OpportunityFields(
        title=data.title,
        stage_id=data.stage_id,
        amount=data.amount,
        probability=data.probability,
        expected_sign_date=data.expected_sign_date,
        type_id=data.type_id,
        source_id=data.source_id,
        remarks=data.remarks,
        owner_id=data.owner_id,
    )


def _filters(f: OpportunityFilterInput | None) -> service.OpportunityFilter:
    f = f or OpportunityFilterInput()
    return service.OpportunityFilter(
        customer_id=f.customer_id,
        owner_id=f.owner_id,
        department_id=f.department_id,
        stage_id=f.stage_id,
        outcome=f.outcome,
        expected_from=f.expected_from,
        expected_to=f.expected_to,
        search=f.search,
    )


def _success(row: Opportunity) -> OpportunitySuccess:
    return OpportunitySuccess(opportunity=OpportunityType.from_model(row))


def _forecast_row(row: service.ForecastRow | None, *, by_user: bool) -> ForecastRow:
    if row is None:
        zero = Decimal("0.00")
        return ForecastRow(
            count=0, amount=zero, weighted_amount=zero, user_id=None, department_id=None
        )
    return ForecastRow(
        count=row.count,
        amount=row.amount,
        weighted_amount=row.weighted_amount,
        user_id=row.key if by_user else None,
        department_id=None if by_user else row.key,
    )


@strawberry.type
class OpportunityQuery:
    @strawberry.field(description="The sales stages in order.")
    async def opportunity_stages(self, info: Info) -> list[OpportunityStageType]:
        info.context.require_principal()
        async with info.context.services.database.reader() as session:
            rows = await service.stages(session)
        return [OpportunityStageType.from_model(s) for s in rows]

    @strawberry.field(extensions=[requires(service.OPPORTUNITY_VIEW)])
    async def opportunity(self, info: Info, id: int) -> OpportunityType | None:
        stmt = service.opportunity_query(info.context.require_principal(), _filters(None))
        async with info.context.services.database.reader() as session:
            row = await session.scalar(stmt.where(Opportunity.id == id))
        return OpportunityType.from_model(row) if row else None

    @strawberry.field(
        extensions=[requires(service.OPPORTUNITY_VIEW)],
        description="Opportunities you may see, most recently changed first.",
    )
    async def opportunities(
        self,
        info: Info,
        filter: OpportunityFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[OpportunityType]:
        stmt = service.opportunity_query(info.context.require_principal(), _filters(filter))
        keys = [SortKey(Opportunity.updated_at, True), SortKey(Opportunity.id, True)]
        return await paginate(
            info, stmt, keys, first=first, after=after, to_node=OpportunityType.from_model
        )

    @strawberry.field(
        extensions=[requires(service.OPPORTUNITY_VIEW)],
        description="Per stage, in order (empty stages included): count and sum of expected "
        "amounts of the opportunities you may see that match the filter.",
    )
    async def sales_funnel(
        self, info: Info, filter: OpportunityFilterInput | None = None
    ) -> list[FunnelStage]:
        principal = info.context.require_principal()
        async with info.context.services.database.reader() as session:
            rows = await service.funnel(session, principal, _filters(filter))
        return [
            FunnelStage(
                stage=OpportunityStageType.from_model(r.stage), count=r.count, amount=r.amount
            )
            for r in rows
        ]

    @strawberry.field(
        extensions=[requires(service.OPPORTUNITY_VIEW)],
        description="Open opportunities expected to sign between the two dates (inclusive), "
        "by user and by department, within your data scope.",
    )
    async def sales_forecast(
        self,
        info: Info,
        expected_from: date,
        expected_to: date,
        department_id: int | None = None,
        owner_id: int | None = None,
    ) -> SalesForecast:
        if expected_to < expected_from:
            raise BadRequest("expectedTo must not be before expectedFrom.")
        principal = info.context.require_principal()
        async with info.context.services.database.reader() as session:
            by_user, by_department = await service.forecast(
                session, principal, expected_from, expected_to, department_id, owner_id
            )
        total = service.ForecastRow(
            key=None,
            count=sum(r.count for r in by_user),
            amount=sum((r.amount for r in by_user), Decimal("0.00")),
            weighted_amount=sum((r.weighted_amount for r in by_user), Decimal("0.00")),
        )
        return SalesForecast(
            expected_from=expected_from,
            expected_to=expected_to,
            total=_forecast_row(total, by_user=False),
            by_user=[_forecast_row(r, by_user=True) for r in by_user],
            by_department=[_forecast_row(r, by_user=False) for r in by_department],
        )


@strawberry.type
class OpportunityMutation:
    @strawberry.mutation(extensions=[requires(service.OPPORTUNITY_CREATE)])
    async def create_opportunity(
        self, info: Info, customer_id: int, input: OpportunityInput
    ) -> OpportunityResult:
        return await mutate(
            info,
            lambda uow: service.create_opportunity(uow, customer_id, _fields(input)),
            _success,
        )

    @strawberry.mutation(
        extensions=[requires(service.OPPORTUNITY_EDIT)],
        description="A change of stage, amount, probability or expected sign date appends to "
        "the stage history.",
    )
    async def update_opportunity(
        self, info: Info, id: int, input: OpportunityInput
    ) -> OpportunityResult:
        return await mutate(
            info, lambda uow: service.update_opportunity(uow, id, _fields(input)), _success
        )

    @strawberry.mutation(extensions=[requires(service.OPPORTUNITY_DELETE)])
    async def delete_opportunity(self, info: Info, id: int) -> DeleteOpportunityResult:
        return await mutate(info, lambda uow: service.delete_opportunity(uow, id), deleted)

    @strawberry.mutation(extensions=[requires(service.OPPORTUNITY_EDIT)])
    async def add_opportunity_detail(
        self, info: Info, opportunity_id: int, input: OpportunityDetailInput
    ) -> OpportunityDetailResult:
        fields = service.DetailFields(
            kind=input.kind, title=input.title, content=input.content, amount=input.amount
        )
        return await mutate(
            info,
            lambda uow: service.add_detail(uow, opportunity_id, fields),
            lambda d: OpportunityDetailSuccess(detail=OpportunityDetailType.from_model(d)),
        )

    @strawberry.mutation(extensions=[requires(service.OPPORTUNITY_EDIT)])
    async def delete_opportunity_detail(self, info: Info, id: int) -> DeleteOpportunityResult:
        return await mutate(info, lambda uow: service.delete_detail(uow, id), deleted)

    @strawberry.mutation(extensions=[requires(ADMIN_EDIT)], description="Add a sales stage.")
    async def create_opportunity_stage(
        self,
        info: Info,
        name: str,
        outcome: StageOutcomeEnum = StageOutcome.OPEN,  # type: ignore[valid-type]
        sort_order: int | None = None,
    ) -> OpportunityStageResult:
        return await mutate(
            info,
            lambda uow: service.create_stage(uow, name, outcome, sort_order),
            lambda s: OpportunityStageSuccess(stage=OpportunityStageType.from_model(s)),
        )

    @strawberry.mutation(extensions=[requires(ADMIN_EDIT)], description="Rename or move a stage.")
    async def update_opportunity_stage(
        self, info: Info, id: int, name: str, sort_order: int
    ) -> OpportunityStageResult:
        return await mutate(
            info,
            lambda uow: service.update_stage(uow, id, name, sort_order),
            lambda s: OpportunityStageSuccess(stage=OpportunityStageType.from_model(s)),
        )

    @strawberry.mutation(
        extensions=[requires(ADMIN_EDIT)], description="Refused for stages ever used."
    )
    async def delete_opportunity_stage(self, info: Info, id: int) -> DeleteOpportunityResult:
        return await mutate(info, lambda uow: service.delete_stage(uow, id), deleted)
