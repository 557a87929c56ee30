from __future__ import annotations

import dataclasses

import strawberry

from gql_crm.db.models import MaturityOption, Pool, SystemSettings
from gql_crm.schema.constraints import constraint
from gql_crm.schema.kit import ModelType

PoolEnum = strawberry.enum(
    Pool,
    name="Pool",
    description="Customer pools: private and temporary belong to an owner; public is open to "
    "claims; special is the public junk pool, not claimable by default.",
)


@strawberry.type(name="MaturityOption", description="A maturity grade and the pool it sends to.")
class MaturityOptionType(ModelType):
    id: int
    label: str
    sort_order: int
    pool: PoolEnum  # type: ignore[valid-type]


@strawberry.type(name="SystemSettings", description="Company settings and pool rules.")
class SystemSettingsType:
    company_name: str
    timezone: str = strawberry.field(description="IANA zone that decides what a 'day' is.")
    temporary_release_days: int = strawberry.field(
        description="A temporary-pool customer with no follow-up for this long falls back to "
        "the public pool."
    )
    temporary_reclaim_ban_days: int = strawberry.field(
        description="An employee may not reclaim a customer they entered into the temporary pool "
        "that fell back, for this long."
    )
    public_claim_ban_days: int = strawberry.field(
        description="An employee may not reclaim a customer they claimed from public that fell "
        "back, for this long."
    )
    private_no_contact_days: int = strawberry.field(
        description="A private-pool customer not contacted for this long falls back to public; "
        "its owner may never claim it again."
    )
    private_pool_cap: int = strawberry.field(description="Most private customers per employee.")
    temporary_pool_cap: int = strawberry.field(description="Most temporary customers per employee.")
    release_warning_days: int = strawberry.field(
        description="Owners are warned this many days before a customer falls back."
    )
    staff_see_company_sales: bool = strawberry.field(
        description="Whether everyone sees the company's sales total of the month on the "
        "workbench; off, only those whose data scope is the whole company do."
    )
    opportunities_enabled: bool = strawberry.field(
        description="Whether the company manages sales opportunities; off, the opportunity "
        "queries and mutations refuse with MODULE_DISABLED."
    )
    maturity_options: list[MaturityOptionType]

    @classmethod
    def from_model(
        cls, settings: SystemSettings, options: list[MaturityOption]
    ) -> SystemSettingsType:
        # Two sources: the settings row's columns and the maturity grades beside them.
        columns = (f.name for f in dataclasses.fields(cls) if f.name != "maturity_options")
        return cls(
            **{name: getattr(settings, name) for name in columns},
            maturity_options=[MaturityOptionType.from_model(o) for o in options],
        )


@strawberry.input
class MaturityOptionInput:
    id: int
    label: str | None = strawberry.field(
        default=None, metadata=constraint(max_length=50, single_line=True, required=True)
    )
    pool: PoolEnum | None = None  # type: ignore[valid-type]


@strawberry.input(description="Fields left out stay as they are.")
class SystemSettingsInput:
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
    staff_see_company_sales: bool | None = strawberry.field(
        default=None,
        description="Whether everyone sees the company's sales total of the month on the "
        "workbench; off, only those whose data scope is the whole company do.",
    )
    opportunities_enabled: bool | None = strawberry.field(
        default=None,
        description="Whether the company manages sales opportunities; off, the opportunity "
        "queries and mutations refuse with MODULE_DISABLED.",
    )
    maturity_options: list[MaturityOptionInput] = strawberry.field(default_factory=list)


@strawberry.type
class SystemSettingsSuccess:
    settings: SystemSettingsType
