from __future__ import annotations

from collections.abc import Sequence

from gql_crm.db.engine import Reads
from gql_crm.db.models import SystemSettings
from gql_crm.loaders.base import LoaderSet
from gql_crm.services.setting import SETTINGS_ID, get_settings


async def load_settings(database: Reads, keys: Sequence[int]) -> list[SystemSettings]:
    async with database.reader() as session:
        return [await get_settings(session)] * len(keys)


class SettingLoaders(LoaderSet):
    async def settings(self) -> SystemSettings:
        """The company settings, read once per request however many fields ask at once."""
        return await self.of(load_settings).load(SETTINGS_ID)
