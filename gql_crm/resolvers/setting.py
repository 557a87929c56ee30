from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.auth.permissions import ADMIN_EDIT
from gql_crm.context import Info
from gql_crm.db.models import SystemSettings
from gql_crm.resolvers.common import mutate
from gql_crm.schema.common import InvalidInputError, requires
from gql_crm.schema.setting import SystemSettingsInput, SystemSettingsSuccess, SystemSettingsType
from gql_crm.services import setting as setting_service
from gql_crm.services.unit_of_work import UnitOfWork

UpdateSystemSettingsResult = Annotated[
    SystemSettingsSuccess | InvalidInputError, strawberry.union("UpdateSystemSettingsResult")
]


def _change(data: SystemSettingsInput) -> setting_service.SettingsChange:
    return setting_service.SettingsChange(
        company_name=data.company_name,
        timezone=data.timezone,
        temporary_release_days=data.temporary_release_days,
        temporary_reclaim_ban_days=data.temporary_reclaim_ban_days,
        public_claim_ban_days=data.public_claim_ban_days,
        private_no_contact_days=data.private_no_contact_days,
        private_pool_cap=data.private_pool_cap,
        temporary_pool_cap=data.temporary_pool_cap,
        release_warning_days=data.release_warning_days,
        maturity_options=tuple(
            setting_service.MaturityOptionChange(
                id=o.id, label=o.label, pool=None if o.pool is None else str(o.pool)
            )
            for o in data.maturity_options
        ),
    )


@strawberry.type
class SettingQuery:
    @strawberry.field(description="Readable by every signed-in user.")
    async def system_settings(self, info: Info) -> SystemSettingsType:
        info.context.require_principal()
        async with info.context.services.database.reader() as session:
            settings = await setting_service.get_settings(session)
            options = await setting_service.maturity_options(session)
        return SystemSettingsType.from_model(settings, options)


@strawberry.type
class SettingMutation:
    @strawberry.mutation(extensions=[requires(ADMIN_EDIT)])
    async def update_system_settings(
        self, info: Info, input: SystemSettingsInput
    ) -> UpdateSystemSettingsResult:
        async def operation(uow: UnitOfWork) -> SystemSettingsSuccess:
            settings: SystemSettings = await setting_service.update_settings(uow, _change(input))
            options = await setting_service.maturity_options(uow.session)
            return SystemSettingsSuccess(settings=SystemSettingsType.from_model(settings, options))

        return await mutate(info, operation, lambda success: success)
