from __future__ import annotations

import strawberry

from gql_crm.db.models import FormField, FormName, OptionList
from gql_crm.schema.kit import ModelInput, ModelType

OptionListEnum = strawberry.enum(
    OptionList,
    name="OptionList",
    description="The option lists an administrator keeps (categories, sources, statuses...).",
)
FormNameEnum = strawberry.enum(
    FormName,
    name="FormName",
    description="The entry forms whose fields an administrator can show, hide or require.",
)


@strawberry.type(name="Option", description="An entry of a customisable option list.")
class OptionType(ModelType):
    id: int
    list: OptionListEnum = strawberry.field(description="The option list it belongs to.")  # type: ignore[valid-type]
    label: str = strawberry.field(description="The option as users see it, unique within its list.")
    sort_order: int = strawberry.field(description="Position in its list, smallest first.")


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
    form: FormNameEnum = strawberry.field(description="The entry form these settings are for.")  # type: ignore[valid-type]
    fields: list[FormFieldType] = strawberry.field(
        description="Each field of the form: shown or hidden, required or not."
    )


@strawberry.type
class FormSettingsSuccess:
    settings: FormSettings


@strawberry.input
class FormFieldInput(ModelInput, model=FormField):
    field: str
    shown: bool
    required: bool
