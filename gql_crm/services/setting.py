"""System settings (F1.4): maturity grades with their pools, the pool time limits and caps."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.db.models import MaturityOption, Pool, SystemSettings
from gql_crm.services.errors import Problems
from gql_crm.services.option import ensure_default_options
from gql_crm.services.unit_of_work import UnitOfWork, camel
from gql_crm.services.validation import non_negative_problem

SETTINGS_ID = 1
MATURITY_POOLS = (Pool.PRIVATE, Pool.TEMPORARY, Pool.PUBLIC)

DEFAULTS = {
    "company_name": "My Company",
    "timezone": "Asia/Shanghai",
    "temporary_release_days": 7,
    "temporary_reclaim_ban_days": 30,
    "public_claim_ban_days": 15,
    "private_no_contact_days": 30,
    "private_pool_cap": 100,
    "temporary_pool_cap": 50,
    "release_warning_days": 3,
    "staff_see_company_sales": True,
    "opportunities_enabled": True,
    "duplicate_customers_by_name": True,
    "duplicate_customers_by_phone": False,
    "duplicate_customers_by_email": False,
}
# A-C -> private, D-F -> temporary, G-J -> public, as in the manual.
DEFAULT_MATURITY = [
    (label, Pool.PRIVATE if i < 3 else Pool.TEMPORARY if i < 6 else Pool.PUBLIC)
    for i, label in enumerate("ABCDEFGHIJ")
]
_DAY_FIELDS = (
    "temporary_release_days",
    "temporary_reclaim_ban_days",
    "public_claim_ban_days",
    "private_no_contact_days",
    "release_warning_days",
)
_CAP_FIELDS = ("private_pool_cap", "temporary_pool_cap")
# Plausible ranges: the pool clocks add these days to timestamps, and the workbench, the
# release job and every claim read them, so one absurd value would break them for everyone.
MAX_DAYS = 3650
MAX_CAP = 100_000


async def ensure_defaults(session: AsyncSession) -> None:
    """Create the settings row, maturity grades, option lists and form settings where missing."""
    if await session.get(SystemSettings, SETTINGS_ID) is None:
        session.add(SystemSettings(id=SETTINGS_ID, **DEFAULTS))
    if (await session.scalars(select(MaturityOption.id).limit(1))).first() is None:
        session.add_all(
            MaturityOption(label=label, sort_order=i, pool=pool)
            for i, (label, pool) in enumerate(DEFAULT_MATURITY)
        )
    await session.flush()
    await ensure_default_options(session)


async def get_settings(session: AsyncSession) -> SystemSettings:
    settings = await session.get(SystemSettings, SETTINGS_ID)
    if settings is None:
        raise RuntimeError("system settings are missing: run 'gql-crm migrate'")
    return settings


async def maturity_options(session: AsyncSession) -> list[MaturityOption]:
    stmt = select(MaturityOption).order_by(MaturityOption.sort_order, MaturityOption.id)
    return list((await session.scalars(stmt)).all())


@dataclass(frozen=True, slots=True)
class MaturityOptionChange:
    id: int
    label: str | None = None
    pool: str | None = None


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """Fields left None stay as they are."""

    company_name: str | None = None
    timezone: str | None = None
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
    maturity_options: tuple[MaturityOptionChange, ...] = ()


async def update_settings(uow: UnitOfWork, change: SettingsChange) -> SystemSettings:
    session = uow.session
    settings = await get_settings(session)
    options = {option.id: option for option in await maturity_options(session)}

    problems = Problems()
    values = {name: getattr(change, name) for name in DEFAULTS if getattr(change, name) is not None}
    if "timezone" in values and (p := _timezone_problem(values["timezone"])):
        problems.add("timezone", p)
    for name in (*_DAY_FIELDS, *_CAP_FIELDS):
        if name not in values:
            continue
        top = MAX_DAYS if name in _DAY_FIELDS else MAX_CAP
        if p := non_negative_problem(values[name]):
            problems.add(camel(name), p)
        elif values[name] > top:
            problems.add(camel(name), f"must be at most {top} (got {values[name]})")
    if values.get("temporary_release_days") == 0:
        problems.add("temporaryReleaseDays", "must be at least 1 day")
    if values.get("private_no_contact_days") == 0:
        problems.add("privateNoContactDays", "must be at least 1 day")

    labels = {option.id: option.label for option in options.values()}
    for index, option_change in enumerate(change.maturity_options):
        field = f"maturityOptions[{index}]"
        if option_change.id not in options:
            problems.add(f"{field}.id", f"maturity option {option_change.id} does not exist")
            continue
        if option_change.label is not None:
            labels[option_change.id] = option_change.label.strip()
        if option_change.pool is not None and option_change.pool not in MATURITY_POOLS:
            allowed = ", ".join(p.name for p in MATURITY_POOLS)
            problems.add(
                f"{field}.pool",
                f"'{option_change.pool}' is not a pool a maturity grade can send customers to "
                f"(one of {allowed})",
            )
    if len(set(labels.values())) != len(labels):
        problems.add("maturityOptions", "maturity labels must be unique")
    problems.raise_if_any()

    stripped = {name: v.strip() if isinstance(v, str) else v for name, v in values.items()}
    uow.apply("system_settings", settings, stripped)

    labels_before = {option.id: option.label for option in options.values()}
    # Labels are unique: park the renamed ones first so that two labels can swap.
    for option_change in change.maturity_options:
        if option_change.label is not None:
            options[option_change.id].label = f"~{option_change.id}~"
    await session.flush()
    for option_change in change.maturity_options:
        option = options[option_change.id]
        option.label = labels_before[option.id]
        grade: dict[str, object] = {}
        if option_change.label is not None:
            grade["label"] = option_change.label.strip()
        if option_change.pool is not None:
            grade["pool"] = Pool(option_change.pool)
        uow.apply("maturity_option", option, grade)
    await session.flush()
    return settings


async def settings_and_grades(session: AsyncSession) -> tuple[SystemSettings, list[MaturityOption]]:
    """The settings row and the maturity grades, as the settings page shows them."""
    return await get_settings(session), await maturity_options(session)


async def change_settings(
    uow: UnitOfWork, change: SettingsChange
) -> tuple[SystemSettings, list[MaturityOption]]:
    """``update_settings``, answered with the settings page as it now reads."""
    await update_settings(uow, change)
    return await settings_and_grades(uow.session)


def _timezone_problem(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Asia" is a directory: OSError
        return f"'{name}' is not a known time zone (e.g. Asia/Shanghai)"
    return None
