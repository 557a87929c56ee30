from __future__ import annotations

import dataclasses

import strawberry

from gql_crm.db.models import MaturityOption, Pool, SystemSettings
from gql_crm.schema.constraints import constraint
from gql_crm.schema.kit import ModelInput, ModelType

PoolEnum = strawberry.enum(
    Pool,
    name="Pool",
    description="Customer pools: private and temporary belong to an owner; public is open to "
    "claims; special is the public junk pool, not claimable by default.",
)


@strawberry.type(name="MaturityOption", description="A maturity grade and the pool it sends to.")
class MaturityOptionType(ModelType, model=MaturityOption):
    id: int
    label: str
    sort_order: int
    pool: PoolEnum  # type: ignore[valid-type]


@strawberry.type(name="SystemSettings", description="Company settings and pool rules.")
class SystemSettingsType(ModelType, model=SystemSettings):
    company_name: str
    timezone: str
    temporary_release_days: int
    temporary_reclaim_ban_days: int
    public_claim_ban_days: int
    private_no_contact_days: int
    private_pool_cap: int
    temporary_pool_cap: int
    release_warning_days: int
    staff_see_company_sales: bool
    opportunities_enabled: bool
    duplicate_customers_by_name: bool
    duplicate_customers_by_phone: bool
    duplicate_customers_by_email: bool
    maturity_options: list[MaturityOptionType] = strawberry.field(
        description="The maturity grades, in order, and the pool each sends a customer to."
    )

    @classmethod
    def of(cls, settings: SystemSettings, options: list[MaturityOption]) -> SystemSettingsType:
        # Two sources: the settings row's columns and the maturity grades beside them.
        columns = (f.name for f in dataclasses.fields(cls) if f.name != "maturity_options")
        return cls(
            **{name: getattr(settings, name) for name in columns},
            maturity_options=[MaturityOptionType.from_model(o) for o in options],
        )


@strawberry.input
class MaturityOptionInput(ModelInput, model=MaturityOption):
    id: int
    label: str | None = strawberry.field(
        default=None, metadata=constraint(max_length=50, single_line=True, required=True)
    )
    pool: PoolEnum | None = None  # type: ignore[valid-type]


@strawberry.input(description="Fields left out stay as they are.")
class SystemSettingsInput(ModelInput, model=SystemSettings):
    company_name: str | None = strawberry.field(
        default=None, metadata=constraint(max_length=200, single_line=True, required=True)
    )
    timezone: str | None = strawberry.field(
        default=None, metadata=constraint(max_length=64, single_line=True, required=True)
    )
    temporary_release_days: int | None = None
    temporary_reclaim_ban_days: int | None = None
    public_claim_ban_days: int | None = None
    private_no_contact_days: int | None = None
    private_pool_cap: int | None = None
    temporary_pool_cap: int | None = None
    release_warning_days: int | None = None
    staff_see_company_sales: bool | None = None
    opportunities_enabled: bool | None = None
    duplicate_customers_by_name: bool | None = None
    duplicate_customers_by_phone: bool | None = None
    duplicate_customers_by_email: bool | None = None
    maturity_options: list[MaturityOptionInput] = strawberry.field(
        default_factory=list,
        description="Maturity grades to change (by id); those left out stay as they are.",
    )


@strawberry.type
class SystemSettingsSuccess:
    settings: SystemSettingsType
