from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import (
    DetailKind,
    Opportunity,
    OpportunityChange,
    OpportunityDetail,
    OpportunityStage,
    StageOutcome,
)
from gql_crm.loaders.batch import scoped_children
from gql_crm.loaders.opportunity import (
    OPPORTUNITY_FOLLOW_UPS,
    OPPORTUNITY_SCHEDULES,
    OPPORTUNITY_TASKS,
)
from gql_crm.schema.department import DepartmentType
from gql_crm.schema.kit import ModelInput, ModelType, owner_field, related
from gql_crm.schema.links import customer_link
from gql_crm.schema.option import OptionType
from gql_crm.schema.user import UserType
from gql_crm.services import opportunity as service

StageOutcomeEnum = strawberry.enum(
    StageOutcome,
    name="StageOutcome",
    description="OPEN stages are the funnel; reaching a WON or LOST stage closes the opportunity.",
)
DetailKindEnum = strawberry.enum(
    DetailKind, name="OpportunityDetailKind", description="What an opportunity detail records."
)


async def _user(info: Info, user_id: int | None) -> UserType | None:
    if user_id is None:
        return None
    user = await info.context.loaders.user.load(user_id)
    return UserType.from_model(user) if user else None


async def _stage(info: Info, stage_id: int | None) -> OpportunityStageType | None:
    if stage_id is None:
        return None
    stage = await info.context.loaders.opportunity_stage.load(stage_id)
    return OpportunityStageType.from_model(stage) if stage else None


@strawberry.type(name="OpportunityStage", description="A step of the sales process (editable).")
class OpportunityStageType(ModelType, model=OpportunityStage):
    id: int
    name: str
    sort_order: int
    outcome: StageOutcomeEnum  # type: ignore[valid-type]


@strawberry.type(
    name="OpportunityChange",
    description="One entry of the stage history, appended automatically when a save changes "
    "the stage, amount, probability or expected sign date. `from*` fields are null for the "
    "entry written when the opportunity was created.",
)
class OpportunityChangeType(ModelType, model=OpportunityChange):
    id: int
    changed_at: datetime
    changed_by_id: int | None
    from_stage_id: int | None
    to_stage_id: int
    from_amount: Decimal | None
    to_amount: Decimal
    from_probability: int | None
    to_probability: int
    from_expected_sign_date: date | None
    to_expected_sign_date: date | None

    @strawberry.field
    async def changed_by(self, info: Info) -> UserType | None:
        return await _user(info, self.changed_by_id)

    @strawberry.field
    async def from_stage(self, info: Info) -> OpportunityStageType | None:
        return await _stage(info, self.from_stage_id)

    @strawberry.field
    async def to_stage(self, info: Info) -> OpportunityStageType | None:
        return await _stage(info, self.to_stage_id)


@strawberry.type(
    name="OpportunityDetail", description="A requirement, solution, quote or competitor."
)
class OpportunityDetailType(ModelType, model=OpportunityDetail):
    id: int
    kind: DetailKindEnum  # type: ignore[valid-type]
    title: str
    content: str | None
    amount: Decimal | None
    created_by_id: int | None
    created_at: datetime


@strawberry.type(name="Opportunity", description="A sales opportunity.")
class OpportunityType(ModelType, model=Opportunity):
    id: int
    customer_id: int
    title: str
    type_id: int | None
    source_id: int | None
    stage_id: int
    amount: Decimal = strawberry.field(description="Expected amount.")
    probability: int = strawberry.field(description="Whole percent, 0-100.")
    expected_sign_date: date | None
    remarks: str | None
    owner_id: int
    created_at: datetime
    updated_at: datetime

    customer = customer_link()
    tasks = related(
        "TaskType", "id", scoped_children(OPPORTUNITY_TASKS), many=True, scoped=True,
        module="gql_crm.schema.customer_record",
        description="To-dos about this opportunity that you may see, open ones first.",
    )  # fmt: skip
    schedules = related(
        "ScheduleType", "id", scoped_children(OPPORTUNITY_SCHEDULES), many=True, scoped=True,
        module="gql_crm.schema.customer_record",
        description="Appointments about this opportunity that you may see, latest first.",
    )  # fmt: skip
    follow_ups = related(
        "FollowUpType", "id", scoped_children(OPPORTUNITY_FOLLOW_UPS), many=True, scoped=True,
        module="gql_crm.schema.follow_up",
        description="Follow-ups about this opportunity, latest first.",
    )  # fmt: skip

    @strawberry.field
    async def stage(self, info: Info) -> OpportunityStageType | None:
        return await _stage(info, self.stage_id)

    @strawberry.field
    async def owner(self, info: Info) -> UserType | None:
        return await _user(info, self.owner_id)

    @strawberry.field
    async def type(self, info: Info) -> OptionType | None:
        item = await info.context.loaders.option.load(self.type_id) if self.type_id else None
        return OptionType.from_model(item) if item else None

    @strawberry.field
    async def source(self, info: Info) -> OptionType | None:
        item = await info.context.loaders.option.load(self.source_id) if self.source_id else None
        return OptionType.from_model(item) if item else None

    @strawberry.field(description="Oldest first.")
    async def history(self, info: Info) -> list[OpportunityChangeType]:
        rows = await info.context.loaders.opportunity_history.load(self.id)
        return [OpportunityChangeType.from_model(row) for row in rows]

    @strawberry.field(description="Requirements, solutions, quotes and competitors.")
    async def details(
        self,
        info: Info,
        kind: Annotated[
            DetailKindEnum | None, strawberry.argument(description="Only details of this kind.")  # type: ignore[valid-type]
        ] = None,
    ) -> list[OpportunityDetailType]:
        rows = await info.context.loaders.opportunity_details.load(self.id)
        return [
            OpportunityDetailType.from_model(row)
            for row in rows
            if kind is None or row.kind == kind
        ]


@strawberry.input
class OpportunityInput(ModelInput, model=Opportunity):
    title: str
    stage_id: int
    amount: Decimal = strawberry.field(description="Expected amount; not negative.")
    probability: int = strawberry.field(description="Whole percent, 0-100.")
    expected_sign_date: date | None = None
    type_id: int | None = strawberry.field(
        default=None, description="An option of the OPPORTUNITY_TYPE list."
    )
    source_id: int | None = strawberry.field(default=None, description="A SOURCE option.")
    remarks: str | None = None
    owner_id: int | None = owner_field()


@strawberry.input
class OpportunityDetailInput(ModelInput, model=OpportunityDetail):
    kind: DetailKindEnum  # type: ignore[valid-type]
    title: str
    content: str | None = None
    amount: Decimal | None = strawberry.field(default=None, description="For quotes.")


@strawberry.input(
    description="Filters combine. The period filters on the expected sign date; the "
    "department includes its sub-departments and applies to the owner."
)
class OpportunityFilterInput:
    customer_id: int | None = None
    owner_id: int | None = None
    department_id: int | None = None
    stage_id: int | None = None
    outcome: StageOutcomeEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only opportunities whose stage has this outcome."
    )
    expected_from: date | None = strawberry.field(
        default=None, description="Only those expected to sign on or after this day."
    )
    expected_to: date | None = strawberry.field(
        default=None, description="Only those expected to sign on or before this day."
    )
    search: str | None = strawberry.field(default=None, description="Title contains.")


@strawberry.type
class OpportunitySuccess:
    opportunity: OpportunityType


@strawberry.type
class OpportunityStageSuccess:
    stage: OpportunityStageType


@strawberry.type
class OpportunityDetailSuccess:
    detail: OpportunityDetailType


@strawberry.type(description="One stage of the sales funnel.")
class FunnelStage:
    stage: OpportunityStageType = strawberry.field(description="The stage.")
    count: int = strawberry.field(description="How many opportunities are in it.")
    amount: Decimal = strawberry.field(description="Sum of the expected amounts.")


@strawberry.type(description="Forecast of one user or department.")
class ForecastRow:
    count: int = strawberry.field(description="How many opportunities.")
    amount: Decimal = strawberry.field(description="Sum of the expected amounts.")
    weighted_amount: Decimal = strawberry.field(
        description="Sum of amount x probability / 100, exact (up to four decimal places)."
    )
    user_id: strawberry.Private[int | None]
    department_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, row: service.ForecastRow, *, by_user: bool) -> ForecastRow:
        """A row of the forecast; its key is a user's id or a department's."""
        return cls(
            count=row.count,
            amount=row.amount,
            weighted_amount=row.weighted_amount,
            user_id=row.key if by_user else None,
            department_id=None if by_user else row.key,
        )

    @strawberry.field(description="Set on the rows by user.")
    async def user(self, info: Info) -> UserType | None:
        return await _user(info, self.user_id)

    @strawberry.field(description="Set on the rows by department; null: users without one.")
    async def department(self, info: Info) -> DepartmentType | None:
        if self.department_id is None:
            return None
        department = await info.context.loaders.department.load(self.department_id)
        return DepartmentType.from_model(department) if department else None


@strawberry.type(
    description="Open opportunities expected to sign in a period, within your data scope."
)
class SalesForecast:
    expected_from: date = strawberry.field(description="The first expected signing day covered.")
    expected_to: date = strawberry.field(description="The last expected signing day covered.")
    total: ForecastRow = strawberry.field(
        description="All open opportunities in the range together."
    )
    by_user: list[ForecastRow] = strawberry.field(description="The same per owner.")
    by_department: list[ForecastRow] = strawberry.field(
        description="The same per owner's department."
    )
