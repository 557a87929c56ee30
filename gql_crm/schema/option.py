from __future__ import annotations

import strawberry

from gql_crm.db.models import FormField, FormName, OptionList
from gql_crm.schema.kit import ModelInput, ModelType

OptionListEnum = strawberry.enum(OptionList, name="OptionList")
FormNameEnum = strawberry.enum(FormName, name="FormName")


@strawberry.type(name="Option", description="An entry of a customisable option list.")
class OptionType(ModelType):
    id: int
    list: OptionListEnum  # type: ignore[valid-type]
    label: str
    sort_order: int


@strawberry.type
class OptionSuccess:
    option: OptionType


@strawberry.type
class OptionsSuccess:
    options: list[OptionType]


@strawberry.type(name="FormField", description="Whether an entry-form field is shown/required.")
class FormFieldType(ModelType, model=FormField):
    field: str
    shown: bool
    required: bool


@strawberry.type(description="An entry form's settings; `name` is always shown and required.")
class FormSettings:
    form: FormNameEnum  # type: ignore[valid-type]
    fields: list[FormFieldType]


@strawberry.type
class FormSettingsSuccess:
    settings: FormSettings


@strawberry.input
class FormFieldInput(ModelInput, model=FormField):
    field: str
    shown: bool
    required: bool
