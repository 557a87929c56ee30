from __future__ import annotations

import strawberry

from gql_crm.db.models import FormField, FormName, OptionItem, OptionList

OptionListEnum = strawberry.enum(OptionList, name="OptionList")
FormNameEnum = strawberry.enum(FormName, name="FormName")


@strawberry.type(name="Option", description="An entry of a customisable option list.")
class OptionType:
    id: int
    list: OptionListEnum  # type: ignore[valid-type]
    label: str
    sort_order: int

    @classmethod
    def from_model(cls, item: OptionItem) -> OptionType:
        return cls(id=item.id, list=item.list, label=item.label, sort_order=item.sort_order)


@strawberry.type
class OptionSuccess:
    option: OptionType


@strawberry.type
class OptionsSuccess:
    options: list[OptionType]


@strawberry.type(name="FormField", description="Whether an entry-form field is shown/required.")
class FormFieldType:
    field: str
    shown: bool
    required: bool

    @classmethod
    def from_model(cls, row: FormField) -> FormFieldType:
        return cls(field=row.field, shown=row.shown, required=row.required)


@strawberry.type(description="An entry form's settings; `name` is always shown and required.")
class FormSettings:
    form: FormNameEnum  # type: ignore[valid-type]
    fields: list[FormFieldType]


@strawberry.type
class FormSettingsSuccess:
    settings: FormSettings


@strawberry.input
class FormFieldInput:
    field: str
    shown: bool
    required: bool
