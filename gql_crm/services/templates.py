"""Import templates (F11): empty workbooks whose columns follow the entry-form settings
(shown fields only; required ones marked with *), with a notes row under the header and
drop-down lists (data validation) for option fields, their choices on a "Lists" sheet."""

from __future__ import annotations

import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.db.models import FormName, MaturityOption, OptionItem, OptionList
from gql_crm.services.contact import GENDERS
from gql_crm.services.option import form_fields
from gql_crm.services.unit_of_work import Services
from gql_crm.services.workbook import (
    CONTACT_COLUMNS,
    CUSTOMER_COLUMNS,
    CUSTOMER_ID_COLUMN,
    CUSTOMER_NAME_COLUMN,
    NOTE_PREFIX,
    PRODUCT_COLUMNS,
    Column,
)

REQUIRED_MARK = " *"
VALIDATED_ROWS = 10_000  # rows below the notes that get the drop-down lists


@dataclass(frozen=True, slots=True)
class Template:
    title: str
    description: str


TEMPLATES: dict[str, Template] = {
    "enterprise_customers": Template(
        "Enterprise customers", "Companies with their contacts, one contact per row."
    ),
    "individual_customers": Template(
        "Individual customers", "Individuals with their contacts, one contact per row."
    ),
    "contacts": Template(
        "Contacts", "Further contacts of existing customers, each row naming its customer."
    ),
    "products": Template("Products", "The product catalogue."),
}


def template_path(kind: str) -> str:
    return f"/templates/{kind}.xlsx"


async def _form(session: AsyncSession, form: FormName) -> dict[str, tuple[bool, bool]]:
    """Form field -> (shown, required)."""
    return {row.field: (row.shown, row.required) for row in await form_fields(session, form)}


def _follow(
    columns: tuple[Column, ...], form: dict[str, tuple[bool, bool]], name_required: bool = True
) -> list[Column]:
    """The shown columns, required ones marked; the name is always shown (and required, but
    for the contact of a customer row: a customer may come without one)."""
    chosen = []
    for column in columns:
        shown, required = form.get(column.field, (True, column.field == "name"))
        if column.field == "name":
            shown, required = True, name_required
        if not shown:
            continue
        label = column.label + (REQUIRED_MARK if required else "")
        note = column.note if column.note or not required else "Required."
        chosen.append(Column(column.field, label, note, column.options))
    return chosen


async def template_columns(session: AsyncSession, kind: str) -> list[Column]:
    if kind == "products":
        return list(PRODUCT_COLUMNS)
    contact_form = await _form(session, FormName.CONTACT)
    if kind == "contacts":  # either customer column names it: neither is marked required
        return [CUSTOMER_NAME_COLUMN, CUSTOMER_ID_COLUMN, *_follow(CONTACT_COLUMNS, contact_form)]
    contact = _follow(CONTACT_COLUMNS, contact_form, name_required=False)
    return [*_follow(CUSTOMER_COLUMNS, await _form(session, FormName.COMPANY)), *contact]


async def option_labels(session: AsyncSession) -> dict[str, list[str]]:
    """Each option list's labels by the names ``Column.options`` uses."""
    lists: dict[str, list[str]] = {"gender": list(GENDERS)}
    rows = await session.execute(
        select(OptionItem.list, OptionItem.label).order_by(
            OptionItem.list, OptionItem.sort_order, OptionItem.id
        )
    )
    for option_list, label in rows:
        lists.setdefault(str(OptionList(option_list)), []).append(label)
    maturities = await session.scalars(
        select(MaturityOption.label).order_by(MaturityOption.sort_order)
    )
    lists["maturity"] = list(maturities)
    return lists


async def template_workbook(services: Services, kind: str) -> bytes:
    async with services.database.reader() as session:
        columns = await template_columns(session, kind)
        lists = await option_labels(session)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = TEMPLATES[kind].title
    sheet.append([c.label for c in columns])
    notes = [c.note for c in columns]
    notes[0] = f"{NOTE_PREFIX} {notes[0]}".strip()
    sheet.append(notes)
    for index, column in enumerate(columns, start=1):
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.cell(row=2, column=index).font = Font(italic=True, color="808080")
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(column.label) + 4)
    sheet.freeze_panes = "A3"
    used = [c.options for c in columns if c.options]
    if used:
        choices = workbook.create_sheet("Lists")
        for list_index, name in enumerate(dict.fromkeys(used), start=1):
            letter = get_column_letter(list_index)
            values = lists.get(name or "", [])
            choices.cell(row=1, column=list_index, value=name)
            for row, value in enumerate(values, start=2):
                choices.cell(row=row, column=list_index, value=value)
            for index, column in enumerate(columns, start=1):
                if column.options != name or not values:
                    continue
                validation = DataValidation(
                    type="list",
                    formula1=f"Lists!${letter}$2:${letter}${len(values) + 1}",
                    allow_blank=True,
                    showErrorMessage=True,
                    error=f"Choose one of the {name} list.",
                )
                target = get_column_letter(index)
                validation.add(f"{target}3:{target}{VALIDATED_ROWS + 2}")
                sheet.add_data_validation(validation)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
