from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.auth.permissions import ADMIN_EDIT
from gql_crm.context import Info
from gql_crm.db.models import MaturityOption, SystemSettings
from gql_crm.resolvers.common import mutate, read
from gql_crm.schema.common import InvalidInputError, requires
from gql_crm.schema.kit import values_of
from gql_crm.schema.setting import SystemSettingsInput, SystemSettingsSuccess, SystemSettingsType
from gql_crm.services import setting as setting_service
from gql_crm.services.setting import MaturityOptionChange, SettingsChange

UpdateSystemSettingsResult = Annotated[
    SystemSettingsSuccess | InvalidInputError, strawberry.union("UpdateSystemSettingsResult")
]


def _change(data: SystemSettingsInput) -> SettingsChange:
    grades = tuple(MaturityOptionChange(**values_of(o)) for o in data.maturity_options)
    return SettingsChange(**values_of(data, skip=("maturity_options",)), maturity_options=grades)


def _settings(page: tuple[SystemSettings, list[MaturityOption]]) -> SystemSettingsType:
    return SystemSettingsType.of(*page)


@strawberry.type
class SettingQuery:
    @strawberry.field(description="Readable by every signed-in user.")
    async def system_settings(self, info: Info) -> SystemSettingsType:
        info.context.require_principal()
        return _settings(await read(info, setting_service.settings_and_grades))


@strawberry.type
class SettingMutation:
    @strawberry.mutation(
        extensions=[requires(ADMIN_EDIT)],
        description="Changes the company's settings and pool rules.",
    )
    async def update_system_settings(
        self, info: Info, input: SystemSettingsInput
    ) -> UpdateSystemSettingsResult:
        change = _change(input)
        return await mutate(
            info,
            lambda uow: setting_service.change_settings(uow, change),
            lambda page: SystemSettingsSuccess(settings=_settings(page)),
        )
