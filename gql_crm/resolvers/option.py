from __future__ import annotations

from functools import partial
from typing import Annotated

import strawberry

from gql_crm.auth.permissions import ADMIN_CREATE, ADMIN_DELETE, ADMIN_EDIT
from gql_crm.context import Info
from gql_crm.db.models import FormField, FormName, OptionItem
from gql_crm.resolvers.common import mutate, read
from gql_crm.schema.common import (
    ConflictError,
    DeleteSuccess,
    InvalidInputError,
    NotFoundError,
    deleted,
    requires,
)
from gql_crm.schema.constraints import constraint
from gql_crm.schema.kit import values_of
from gql_crm.schema.option import (
    FormFieldInput,
    FormFieldType,
    FormNameEnum,
    FormSettings,
    FormSettingsSuccess,
    OptionListEnum,
    OptionsSuccess,
    OptionSuccess,
    OptionType,
)
from gql_crm.services import option as option_service

Label = Annotated[
    str, strawberry.argument(metadata=constraint(max_length=50, single_line=True, required=True))
]
OptionResult = Annotated[
    OptionSuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("OptionResult"),
]
ReorderOptionsResult = Annotated[
    OptionsSuccess | InvalidInputError, strawberry.union("ReorderOptionsResult")
]
DeleteOptionResult = Annotated[
    DeleteSuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("DeleteOptionResult"),
]
FormSettingsResult = Annotated[
    FormSettingsSuccess | InvalidInputError, strawberry.union("FormSettingsResult")
]


def _option(item: OptionItem) -> OptionSuccess:
    return OptionSuccess(option=OptionType.from_model(item))


def _form(form: FormName, rows: list[FormField]) -> FormSettings:
    return FormSettings(form=form, fields=[FormFieldType.from_model(r) for r in rows])


@strawberry.type
class OptionQuery:
    @strawberry.field(description="Option lists (all, or one), in display order.")
    async def options(
        self,
        info: Info,
        list: Annotated[
            OptionListEnum | None, strawberry.argument(description="One list (all when left out).")  # type: ignore[valid-type]
        ] = None,
    ) -> list[OptionType]:
        info.context.require_principal()
        items = await read(info, partial(option_service.options, option_list=list))
        return [OptionType.from_model(item) for item in items]

    @strawberry.field(description="What an entry form shows and requires, to draw it.")
    async def form_settings(
        self,
        info: Info,
        form: Annotated[FormNameEnum, strawberry.argument(description="The form.")],  # type: ignore[valid-type]
    ) -> FormSettings:
        info.context.require_principal()
        return _form(form, await read(info, partial(option_service.form_fields, form=form)))


@strawberry.type
class OptionMutation:
    @strawberry.mutation(
        extensions=[requires(ADMIN_CREATE)],
        description="Adds an option at the end of an option list.",
    )
    async def add_option(
        self,
        info: Info,
        list: OptionListEnum,  # type: ignore[valid-type]
        label: Label,
    ) -> OptionResult:
        return await mutate(info, lambda uow: option_service.add_option(uow, list, label), _option)

    @strawberry.mutation(
        extensions=[requires(ADMIN_EDIT)],
        description="Renames an option; records using it show the new label.",
    )
    async def rename_option(self, info: Info, id: int, label: Label) -> OptionResult:
        return await mutate(info, lambda uow: option_service.rename_option(uow, id, label), _option)

    @strawberry.mutation(
        extensions=[requires(ADMIN_EDIT)],
        description="Give every id of the list, in the new order.",
    )
    async def reorder_options(
        self,
        info: Info,
        list: OptionListEnum,  # type: ignore[valid-type]
        ids: Annotated[
            list[int],
            strawberry.argument(description="Every option id of the list, in the new order."),
        ],
    ) -> ReorderOptionsResult:
        return await mutate(
            info,
            lambda uow: option_service.reorder_options(uow, list, ids),
            lambda items: OptionsSuccess(options=[OptionType.from_model(i) for i in items]),
        )

    @strawberry.mutation(
        extensions=[requires(ADMIN_DELETE)],
        description="Refused while in use, unless replacementId names the option to move "
        "those records to.",
    )
    async def delete_option(
        self, info: Info, id: int, replacement_id: int | None = None
    ) -> DeleteOptionResult:
        return await mutate(
            info, lambda uow: option_service.delete_option(uow, id, replacement_id), deleted
        )

    @strawberry.mutation(
        extensions=[requires(ADMIN_EDIT)],
        description="Shows, hides or requires fields of an entry form.",
    )
    async def update_form_settings(
        self,
        info: Info,
        form: FormNameEnum,  # type: ignore[valid-type]
        fields: list[FormFieldInput],
    ) -> FormSettingsResult:
        changes = [option_service.FormFieldChange(**values_of(f)) for f in fields]
        return await mutate(
            info,
            lambda uow: option_service.update_form(uow, form, changes),
            lambda rows: FormSettingsSuccess(settings=_form(form, rows)),
        )
