"""Option lists (F2.3) and entry-form settings (F2.2)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.db.models import (
    Customer,
    FollowUp,
    FormField,
    FormName,
    Opportunity,
    OpportunityStage,
    OptionItem,
    OptionList,
    Order,
    Product,
    StageOutcome,
)
from gql_crm.services import statistics_rollup
from gql_crm.services.errors import Conflict, InvalidInput, NotFound, Problems
from gql_crm.services.unit_of_work import UnitOfWork

DEFAULT_OPTIONS: dict[OptionList, tuple[str, ...]] = {
    OptionList.CATEGORY: ("Old customer", "Normal customer", "VIP customer"),
    OptionList.SOURCE: ("Advertising", "Partner", "Referral", "Website", "Exhibition"),
    OptionList.STATUS: ("Potential", "Intent", "No intent"),
    OptionList.INDUSTRY: ("Manufacturing", "Retail", "IT and software", "Finance", "Other"),
    OptionList.FOLLOW_UP_METHOD: ("Phone call", "Visit", "E-mail", "Instant message", "Other"),
    OptionList.PRODUCT_CATEGORY: ("Hardware", "Software", "Service"),
    OptionList.OPPORTUNITY_TYPE: ("New business", "Existing business", "Renewal"),
}

# The sales stages of the manual (F2.9), then the two outcomes.
DEFAULT_STAGES: tuple[tuple[str, StageOutcome], ...] = (
    ("Initial contact", StageOutcome.OPEN),
    ("Project evaluation", StageOutcome.OPEN),
    ("Requirements & solution", StageOutcome.OPEN),
    ("Competitive bidding", StageOutcome.OPEN),
    ("Business negotiation", StageOutcome.OPEN),
    ("Signed", StageOutcome.WON),
    ("Lost", StageOutcome.LOST),
)

# Which column refers to each list: deleting an option in use must re-map these rows.
_USED_BY = {
    OptionList.CATEGORY: (Customer.category_id,),
    OptionList.SOURCE: (Customer.source_id, Opportunity.source_id),
    OptionList.STATUS: (Customer.status_id,),
    OptionList.INDUSTRY: (Customer.industry_id,),
    OptionList.FOLLOW_UP_METHOD: (FollowUp.method_id,),
    OptionList.PRODUCT_CATEGORY: (Product.category_id,),
    OptionList.OPPORTUNITY_TYPE: (Opportunity.type_id,),
}

# Entry-form fields an administrator can show/hide and make required; "name" always is both.
FORM_FIELDS: dict[FormName, tuple[str, ...]] = {
    FormName.COMPANY: (
        "shortName",
        "acquiredOn",
        "categoryId",
        "sourceId",
        "statusId",
        "maturityId",
        "industryId",
        "city",
        "address",
        "website",
        "remarks",
    ),
    FormName.CONTACT: ("gender", "mobile", "phone", "email", "title"),
    # A person has no short name, industry or web site.
    FormName.INDIVIDUAL: (
        "acquiredOn",
        "categoryId",
        "sourceId",
        "statusId",
        "maturityId",
        "city",
        "address",
        "remarks",
    ),
}


async def ensure_default_options(session: AsyncSession) -> None:
    # List by list, so that a list added by a later release gets its defaults too.
    present = set(await session.scalars(select(OptionItem.list).distinct()))
    session.add_all(
        OptionItem(list=option_list, label=label, sort_order=i)
        for option_list, labels in DEFAULT_OPTIONS.items()
        if option_list not in present
        for i, label in enumerate(labels)
    )
    if (await session.scalars(select(OpportunityStage.id).limit(1))).first() is None:
        session.add_all(
            OpportunityStage(name=name, sort_order=i, outcome=outcome)
            for i, (name, outcome) in enumerate(DEFAULT_STAGES)
        )
    # Form by form, so that a form added by a later release gets its defaults too.
    forms = set(await session.scalars(select(FormField.form).distinct()))
    session.add_all(
        FormField(form=form, field=field, shown=True, required=False)
        for form, fields in FORM_FIELDS.items()
        if form not in forms
        for field in fields
    )
    await session.flush()


async def options(session: AsyncSession, option_list: OptionList | None = None) -> list[OptionItem]:
    stmt = select(OptionItem).order_by(OptionItem.list, OptionItem.sort_order, OptionItem.id)
    if option_list is not None:
        stmt = stmt.where(OptionItem.list == option_list)
    return list((await session.scalars(stmt)).all())


async def _get(uow: UnitOfWork, option_id: int, field: str = "id") -> OptionItem:
    item = await uow.session.get(OptionItem, option_id)
    if item is None:
        raise NotFound("Option", option_id, field)
    return item


async def _refuse_duplicate(uow: UnitOfWork, option_list: OptionList, label: str) -> None:
    stmt = select(OptionItem.id).where(OptionItem.list == option_list, OptionItem.label == label)
    if await uow.session.scalar(stmt) is not None:
        raise Conflict(f"The {option_list} list already has '{label}'.", "label")


async def add_option(uow: UnitOfWork, option_list: OptionList, label: str) -> OptionItem:
    clean = label.strip()
    await _refuse_duplicate(uow, option_list, clean)
    last = await uow.session.scalar(
        select(func.max(OptionItem.sort_order)).where(OptionItem.list == option_list)
    )
    item = OptionItem(list=option_list, label=clean, sort_order=(last or 0) + 1)
    return await uow.add("option", item, list=option_list, label=clean)


async def rename_option(uow: UnitOfWork, option_id: int, label: str) -> OptionItem:
    item = await uow.find(OptionItem, option_id, label="Option")
    if (clean := label.strip()) != item.label:
        await _refuse_duplicate(uow, item.list, clean)
        uow.apply("option", item, {"label": clean}, "rename")
    return item


async def reorder_options(
    uow: UnitOfWork, option_list: OptionList, ordered_ids: list[int]
) -> list[OptionItem]:
    """Put a whole list in the given order; every id of the list must appear once."""
    items = await options(uow.session, option_list)
    current = {item.id: item for item in items}
    if sorted(ordered_ids) != sorted(current):
        raise InvalidInput.single(
            "ids", f"give every option of the {option_list} list exactly once: {sorted(current)}"
        )
    for position, option_id in enumerate(ordered_ids):
        current[option_id].sort_order = position
    uow.log(
        "option_list",
        0,
        "reorder",
        {"list": [None, str(option_list)], "order": [None, ordered_ids]},
    )
    return [current[option_id] for option_id in ordered_ids]


async def delete_option(uow: UnitOfWork, option_id: int, replacement_id: int | None) -> int:
    """Delete an option; records that use it move to ``replacement_id`` or the delete is refused."""
    item = await _get(uow, option_id)
    if replacement_id is not None:
        replacement = await _get(uow, replacement_id, "replacementId")
        if replacement.list != item.list or replacement.id == item.id:
            raise InvalidInput.single(
                "replacementId", f"must be another option of the {item.list} list"
            )
    in_use = 0
    for column in _USED_BY[item.list]:
        in_use += await uow.session.scalar(select(func.count()).where(column == option_id)) or 0
    if in_use and replacement_id is None:
        raise Conflict(
            f"'{item.label}' is used by {in_use} record(s); give a replacementId to move them.",
            "id",
        )
    if item.list is OptionList.OPPORTUNITY_TYPE:
        # An order's deal type is its opportunity's: statistics count those orders anew.
        typed = select(Opportunity.id).where(Opportunity.type_id == option_id)
        orders = await statistics_rollup.orders_where(uow, Order.opportunity_id.in_(typed))
        await statistics_rollup.changing(uow, orders)
    for column in _USED_BY[item.list]:
        await uow.session.execute(
            update(column.class_).where(column == option_id).values({column.key: replacement_id})
        )
    await uow.session.delete(item)
    uow.log(
        "option",
        option_id,
        "delete",
        {
            "label": [item.label, None],
            "replacementId": [None, replacement_id],
            "moved": [0, in_use],
        },
    )
    return option_id


async def option_problem(
    session: AsyncSession, option_list: OptionList, option_id: int | None
) -> str | None:
    """Why ``option_id`` cannot be used for ``option_list``, or None."""
    if option_id is None:
        return None
    item = await session.get(OptionItem, option_id)
    if item is None or item.list != option_list:
        return f"option {option_id} is not in the {option_list} list"
    return None


# ---- entry forms -----------------------------------------------------------------------


async def form_fields(session: AsyncSession, form: FormName) -> list[FormField]:
    rows = {
        row.field: row
        for row in await session.scalars(select(FormField).where(FormField.form == form))
    }
    return [rows[name] for name in FORM_FIELDS[form] if name in rows]


@dataclass(frozen=True, slots=True)
class FormSettings:
    """An entry form's settings as the checks use them: the fields it has (by name), those
    it requires and those it hides."""

    fields: frozenset[str]
    required: frozenset[str]
    hidden: frozenset[str]


async def form_settings(session: AsyncSession, form: FormName) -> FormSettings:
    rows = await form_fields(session, form)
    return FormSettings(
        fields=frozenset(row.field for row in rows),
        required=frozenset(row.field for row in rows if row.required),
        hidden=frozenset(row.field for row in rows if not row.shown),
    )


@dataclass(frozen=True, slots=True)
class FormFieldChange:
    field: str
    shown: bool
    required: bool


async def update_form(
    uow: UnitOfWork, form: FormName, changes: list[FormFieldChange]
) -> list[FormField]:
    problems = Problems()
    for index, change in enumerate(changes):
        if change.field not in FORM_FIELDS[form]:
            problems.add(
                f"fields[{index}].field",
                f"'{change.field}' is not a {form} form field ({', '.join(FORM_FIELDS[form])})",
            )
        elif change.required and not change.shown:
            problems.add(f"fields[{index}].required", "a hidden field cannot be required")
    problems.raise_if_any()
    rows = {row.field: row for row in await form_fields(uow.session, form)}
    for change in changes:
        row = rows[change.field]
        before = [row.shown, row.required]
        row.shown, row.required = change.shown, change.required
        if before != [row.shown, row.required]:
            uow.log(
                "form_field",
                0,
                "update",
                {f"{form}.{change.field}": [before, [row.shown, row.required]]},
            )
    return list(rows.values())
