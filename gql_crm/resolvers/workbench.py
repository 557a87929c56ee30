from __future__ import annotations

from functools import partial

import strawberry

from gql_crm.context import Info
from gql_crm.resolvers.common import read
from gql_crm.schema.common import page_size
from gql_crm.schema.workbench import WorkbenchType
from gql_crm.services import workbench as workbench_service


@strawberry.type
class WorkbenchQuery:
    @strawberry.field(description="Your workbench: a constant number of statements.")
    async def workbench(self, info: Info, first: int = 10) -> WorkbenchType:
        principal = info.context.require_principal()
        settings = await info.context.loaders.settings()
        now = info.context.services.clock.now()
        limit = page_size(info, first)  # its lists are at most a page each
        bench = await read(
            info,
            partial(
                workbench_service.workbench,
                principal=principal,
                settings=settings,
                now=now,
                limit=limit,
            ),
        )
        return WorkbenchType.from_model(bench)
