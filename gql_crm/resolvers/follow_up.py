from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.context import Info
from gql_crm.db.models import FollowUp
from gql_crm.resolvers.common import mutate
from gql_crm.schema.common import (
    ConflictError,
    DeleteSuccess,
    InvalidInputError,
    NotFoundError,
    deleted,
    requires,
)
from gql_crm.schema.follow_up import FollowUpInput, FollowUpSuccess, FollowUpType
from gql_crm.services import follow_up as follow_up_service

FollowUpResult = Annotated[
    FollowUpSuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("FollowUpResult"),
]
DeleteFollowUpResult = Annotated[
    DeleteSuccess | NotFoundError, strawberry.union("DeleteFollowUpResult")
]


def _fields(data: FollowUpInput) -> follow_up_service.FollowUpFields:
    return follow_up_service.FollowUpFields(
        content=data.content,
        contact_id=data.contact_id,
        method_id=data.method_id,
        followed_at=data.followed_at,
        next_step=data.next_step,
    )


def _success(row: FollowUp) -> FollowUpSuccess:
    return FollowUpSuccess(follow_up=FollowUpType.from_model(row))


@strawberry.type
class FollowUpMutation:
    @strawberry.mutation(
        extensions=[requires(basic(Module.FOLLOWUP, Action.CREATE))],
        description="Record a follow-up; it restarts the customer's pool clock.",
    )
    async def create_follow_up(
        self, info: Info, customer_id: int, input: FollowUpInput
    ) -> FollowUpResult:
        return await mutate(
            info,
            lambda uow: follow_up_service.create_follow_up(uow, customer_id, _fields(input)),
            _success,
        )

    @strawberry.mutation(
        extensions=[requires(basic(Module.FOLLOWUP, Action.EDIT))],
        description="Your own follow-ups; others' need followup:edit_others.",
    )
    async def update_follow_up(self, info: Info, id: int, input: FollowUpInput) -> FollowUpResult:
        return await mutate(
            info, lambda uow: follow_up_service.update_follow_up(uow, id, _fields(input)), _success
        )

    @strawberry.mutation(extensions=[requires(basic(Module.FOLLOWUP, Action.DELETE))])
    async def delete_follow_up(self, info: Info, id: int) -> DeleteFollowUpResult:
        return await mutate(info, lambda uow: follow_up_service.delete_follow_up(uow, id), deleted)
