"""Imports (F11): a workbook in, checked whole, written whole or not at all.

An import job reads the uploaded workbook's first sheet (``services/workbook.py`` refuses
files that are not plain workbooks first), maps its headers to form fields, and checks every
row the way the mutations do: the declared input limits (``schema/constraints.py``, on the
very input types the mutations take) and the services' rules (``customer_problems``,
``contact_rule_problems``, the pools' caps through ``pool.admit``), plus duplicates within the
file and against the database. Every bad cell is reported (row, column, value, reason) as
the job's problems and in a copy of the workbook with the bad cells marked and a reason
column. Only a file without problems is written, and then in one transaction with multi-row
INSERTs; a dry run stops before writing.

Rows of a customer import that repeat a customer (same name, same customer columns) add
further contacts to it; the first row's contact is the primary one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from sqlalchemy import func, select

from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.db import visibility
from gql_crm.db.base import core_table
from gql_crm.db.bulk import among, batches, copy_rows, reserve_ids
from gql_crm.db.models import (
    Contact,
    Customer,
    CustomerKind,
    FormName,
    MaturityOption,
    OptionItem,
    OptionList,
    Pool,
    Product,
)
from gql_crm.db.models.job import Job, JobKind
from gql_crm.private_files import create_private
from gql_crm.schema.constraints import field_problems
from gql_crm.services import customer as customer_service
from gql_crm.services.contact import ContactFields, contact_rule_problems, contact_values
from gql_crm.services.errors import DomainError, InvalidInput, Problems
from gql_crm.services.files import UploadedFile, clean_file_name, describe_size
from gql_crm.services.job import (
    JobRun,
    Outcome,
    announce,
    file_path,
    finish,
    handler,
    new_key,
    prepare_dir,
    start,
)
from gql_crm.services.option import form_settings
from gql_crm.services.pool import admit, can_manage
from gql_crm.services.product import ProductFields, product_values
from gql_crm.services.setting import get_settings
from gql_crm.services.unit_of_work import UnitOfWork
from gql_crm.services.workbook import (
    CONTACT_COLUMNS,
    CUSTOMER_COLUMNS,
    CUSTOMER_ID_COLUMN,
    CUSTOMER_NAME_COLUMN,
    KIND_COLUMN,
    PRODUCT_COLUMNS,
    Column,
    check_container,
    open_sheet,
)
from gql_crm.storage import CHUNK

logger = logging.getLogger("gql_crm.jobs")

BATCH = 2000  # rows between progress reports, for sheets of up to PROGRESS_REPORTS batches
PROGRESS_REPORTS = 20  # at most this many for larger ones: each is a write (and an event)
_BAD = PatternFill("solid", fgColor="FFC7CE")
REASON_HEADER = "Reason"


@dataclass(frozen=True, slots=True)
class Importer:
    kind: str
    description: str
    permission: str


IMPORTERS: dict[str, Importer] = {}


def importer(
    kind: str, *, permission: str, description: str
) -> Callable[[Callable[[JobRun], Any]], Callable[[JobRun], Any]]:
    def register(function: Callable[[JobRun], Any]) -> Callable[[JobRun], Any]:
        IMPORTERS[kind] = Importer(kind, description, permission)
        handler(JobKind.IMPORT, kind)(function)
        return function

    return register


# ---- starting --------------------------------------------------------------------------------


async def start_import(uow: UnitOfWork, kind: str, upload: UploadedFile, dry_run: bool) -> Job:
    """Stage the upload and queue its import; a file that is no workbook is refused now."""
    uow.principal.require(IMPORTERS[kind].permission)
    settings = uow.services.settings
    await asyncio.to_thread(prepare_dir, settings)
    key = new_key()
    path = file_path(settings, key)
    uow.on_rollback(lambda: path.unlink(missing_ok=True))
    limit = settings.max_import_bytes
    size = 0
    with os.fdopen(create_private(path), "wb") as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise InvalidInput.single(
                    "file", f"is larger than the limit of {describe_size(limit)}: split it"
                )
            await asyncio.to_thread(out.write, chunk)
    if size == 0:
        raise InvalidInput.single("file", "is empty")
    await asyncio.to_thread(check_container, path)
    name = clean_file_name(upload.filename)
    return await start(uow, JobKind.IMPORT, kind, dry_run=dry_run, input_key=key, input_name=name)


# ---- reading cells ---------------------------------------------------------------------------


def _progress_step(size: int) -> int:
    return max(BATCH, size // PROGRESS_REPORTS)


class CellProblem(Exception):
    pass


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


class _Repeated:
    """One copy of each text a column repeats (a city, a title): a sheet's worth of
    customers is held until it is written, and the sheet reader gives every cell its own
    string. A column that turns out not to repeat (names, numbers) stops being kept."""

    KEPT = 1000  # distinct texts of a column before it counts as not repeating

    def __init__(self) -> None:
        self.seen: dict[str, str] | None = {}

    def once(self, text: str) -> str:
        seen = self.seen
        if seen is None:
            return text
        kept = seen.setdefault(text, text)
        if len(seen) > self.KEPT:
            self.seen = None
        return kept


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise CellProblem("is not a date (YYYY-MM-DD)") from None


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise CellProblem("is not a number") from None


@dataclass(slots=True)
class Report:
    """The problems found, in sheet order, and per row for the marked copy."""

    problems: list[dict[str, Any]] = field(default_factory=list)
    by_row: dict[int, dict[str | None, str]] = field(default_factory=dict)

    def add(self, row: int, column: str | None, value: Any, reason: str) -> None:
        text = _text(value)
        self.problems.append({"row": row, "column": column, "value": text, "reason": reason})
        reasons = self.by_row.setdefault(row, {})
        reasons[column] = f"{reasons[column]}; {reason}" if column in reasons else reason


def _header_map(headers: list[str], columns: list[Column]) -> dict[str, int]:
    """Form field -> column index, matching headers with or without the required mark."""
    wanted = {c.label.lower(): c.field for c in columns}
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        name = header.rstrip(" *").strip().lower()
        if name in wanted and wanted[name] not in found:
            found[wanted[name]] = index
    return found


def _get(values: tuple[Any, ...], index: int | None) -> Any:
    if index is None or index >= len(values):
        return None
    value = values[index]
    return value.strip() if isinstance(value, str) else value


async def _marked_copy(run: JobRun, report: Report) -> str:
    """A copy of the uploaded sheet with the bad cells filled and a reason column: every
    row where it was, so that the problems' row numbers are the copy's too."""
    assert run.input_path is not None
    path = run.input_path
    settings = run.services.settings
    key = new_key()

    def write() -> None:
        # Refused for its rows, the file passed the container and sheet checks.
        sheet = open_sheet(path, settings.max_import_rows, checked=True, every_row=True)
        out = Workbook(write_only=True)
        target = out.create_sheet("Problems")
        headers = sheet.headers
        for _ in range(sheet.header_row - 1):
            target.append([])
        target.append([*headers, REASON_HEADER])
        for number, values in sheet.rows:
            reasons = report.by_row.get(number, {})
            row: list[Any] = []
            for index, value in enumerate(values):
                header = headers[index] if index < len(headers) else None
                if header is None or header not in reasons:
                    row.append(value)  # a plain value: cells cost only where marked
                    continue
                written = WriteOnlyCell(target, value=value)
                written.fill = _BAD
                written.comment = Comment(reasons[header], "gql-crm")
                row.append(written)
            row.extend([None] * (len(headers) - len(values)))
            row.append("; ".join(f"{c}: {r}" if c else r for c, r in reasons.items()) or None)
            target.append(row)
        out.save(file_path(settings, key))

    await asyncio.to_thread(write)
    return key


async def _refuse(run: JobRun, report: Report, rows: int) -> Outcome:
    """The verdict first: the job ends failed with every problem as soon as the checks are
    done; the marked copy, written next, then joins it (a second progress event says so)."""
    report.problems.sort(key=lambda p: p["row"])
    count = len(report.problems)
    first = report.problems[0]
    refused = Outcome(
        False,
        rows,
        problems=tuple(report.problems),
        problem_count=count,
        message=f"Nothing was imported: {len(report.by_row)} row(s) have {count} problem(s), "
        f"the first in row {first['row']}"
        + (f", column {first['column']}" if first["column"] else "")
        + f": {first['reason']}",
    )
    async with UnitOfWork(run.services, run.principal) as uow:
        ended = await run.check_not_cancelled(uow)
        finish(uow, ended, refused)
    decided = time.perf_counter()
    try:
        key = await _marked_copy(run, report)
        async with UnitOfWork(run.services, None) as uow:
            job = await uow.session.get(Job, run.job_id)
            if job is None:  # gone meanwhile, and so is its copy
                file_path(run.services.settings, key).unlink(missing_ok=True)
            else:
                job.result_key = key
                job.result_name = f"Problems - {run.input_name or 'import'}"
                job.updated_at = uow.now
                announce(uow, job)
        logger.info("import %s: marked copy written in %.2fs", run.job_id,
                    time.perf_counter() - decided)  # fmt: skip
    except Exception:  # the verdict stands without its copy
        logger.exception("import %s: the marked copy could not be written", run.job_id)
    return dataclasses.replace(refused, job=ended)


# ---- customers with contacts -------------------------------------------------------------------


@dataclass(slots=True)
class _Customer:
    row: int
    name_header: str
    fields: customer_service.CustomerFields
    contacts: list[ContactFields]
    further_rows: list[int] | None = None  # of its contacts, when not just its own row's

    def contact_rows(self) -> list[int]:
        """The row each contact came from."""
        if self.further_rows is not None:
            return self.further_rows
        return [self.row] * len(self.contacts)  # none, or the one of its own row


def _labels(rows: Any) -> dict[str, int]:
    return {str(label).strip().lower(): option_id for option_id, label in rows}


async def _customer_lookups(run: JobRun) -> tuple[dict[str, dict[str, int]], Any]:
    async with run.services.database.reader() as session:
        options: dict[str, dict[str, int]] = {}
        for option_id, option_list, label in await session.execute(
            select(OptionItem.id, OptionItem.list, OptionItem.label)
        ):
            options.setdefault(str(option_list), {})[str(label).strip().lower()] = option_id
        options["maturity"] = _labels(
            await session.execute(select(MaturityOption.id, MaturityOption.label))
        )
        rules = await customer_service.form_rules(session)
    return options, rules


async def _duplicates(
    run: JobRun, customers: list[_Customer], headers: dict[str, str], report: Report
) -> None:
    """The system settings' duplicate rule: a customer repeating an earlier one of the file,
    or a live one, by any of the values the rule names, is a problem of the cell holding it.
    The keys are made twice rather than held: a sheet's worth of them is memory."""
    async with run.services.database.reader() as session:
        rule = customer_service.duplicate_rule(await get_settings(session))
        by_contacts = rule - {customer_service.Same.NAME}

        def keys() -> Iterator[tuple[customer_service.DuplicateKey, _Customer, int]]:
            for entry in customers:
                for key in customer_service.duplicate_keys(rule, entry.fields.name, ()):
                    yield key, entry, entry.row
                if not by_contacts:
                    continue
                for contact, row in zip(entry.contacts, entry.contact_rows(), strict=True):
                    for key in customer_service.duplicate_keys(by_contacts, None, [contact], ""):
                        yield key, entry, row

        taken = await customer_service.existing_duplicates(session, (k for k, _, _ in keys()))
    first: dict[customer_service.Same, dict[str, _Customer]] = {}
    for key, entry, row in keys():
        value = _cell_value(entry, key, row)
        if (key.same, key.value) in taken:
            report.add(row, headers[key.field], value, customer_service.EXISTS_ALREADY[key.same])
            continue
        earlier = first.setdefault(key.same, {}).setdefault(key.value, entry)
        if earlier is not entry:
            report.add(row, headers[key.field], value, key.repeats(earlier.row))


def _cell_value(entry: _Customer, key: customer_service.DuplicateKey, row: int) -> Any:
    if key.field == "name":
        return entry.fields.name
    return getattr(entry.contacts[entry.contact_rows().index(row)], key.field)


def _read_customers(
    run: JobRun,
    options: dict[str, dict[str, int]],
    rules: customer_service.FormRules,
    default_kind: CustomerKind,
    report: Report,
    progress: Callable[[int, int], None],
) -> tuple[list[_Customer], int, dict[str, str]]:
    """Every row read and checked on its own (blocking: runs in a thread): the customers,
    the rows read and the headers of the name and the contact fields."""
    from gql_crm.schema.contact import ContactInput
    from gql_crm.schema.customer import CustomerInput

    assert run.input_path is not None
    sheet = open_sheet(run.input_path, run.services.settings.max_import_rows)
    every = _progress_step(sheet.size)
    columns = [*CUSTOMER_COLUMNS, KIND_COLUMN]
    at = _header_map(sheet.headers, columns)
    contact_at = _header_map(sheet.headers, list(CONTACT_COLUMNS))
    label = {c.field: c.label for c in columns}
    contact_label = {c.field: c.label for c in CONTACT_COLUMNS}
    header_of = {f: sheet.headers[i] for f, i in at.items()}
    contact_header_of = {f: sheet.headers[i] for f, i in contact_at.items()}
    if "name" not in at:
        raise InvalidInput.single("file", f"has no '{label['name']}' column in its first row")
    contact_header_of = {c.field: contact_header_of.get(c.field, c.label) for c in CONTACT_COLUMNS}
    # The columns the sheet has, each once: its field, index, header and option labels (a
    # row's cost is that of its columns; the fields it lacks start as ``absent`` says).
    plan = [
        (c.field, _SNAKE[c.field], at[c.field], header_of[c.field],
         options.get(c.options, {}) if c.options is not None else None, c.options,
         _Repeated())
        for c in CUSTOMER_COLUMNS if c.field in at
    ]  # fmt: skip
    absent: dict[str, Any] = {_SNAKE[c.field]: None for c in CUSTOMER_COLUMNS}
    absent["name"] = ""
    contact_plan = [(_SNAKE[c.field], contact_at[c.field], _Repeated()) for c in CONTACT_COLUMNS
                    if c.field in contact_at]  # fmt: skip
    no_contact: dict[str, Any] = {_SNAKE[c.field]: None for c in CONTACT_COLUMNS}
    kind_at = at.get("kind")
    customers: list[_Customer] = []
    same_customer: dict[customer_service.CustomerFields, _Customer] = {}
    rows = 0
    for number, values in sheet.rows:
        rows += 1
        if rows % every == 0:
            progress(rows, sheet.size)
        size = len(values)
        python: dict[str, Any] = dict(absent)  # the fields by their Python names
        bad = False

        def problem(column: str | None, value: Any, reason: str, number: int = number) -> None:
            nonlocal bad
            bad = True
            report.add(number, column, value, reason)

        kind = default_kind
        if kind_at is not None and (raw_kind := _text(_get(values, kind_at))) is not None:
            try:
                kind = CustomerKind(raw_kind.lower())
            except ValueError:
                problem(header_of["kind"], raw_kind, "must be enterprise or individual")
        python["kind"] = kind
        for name, snake, index, header, choices, list_name, repeated in plan:
            raw = values[index] if index < size else None
            if raw is None:
                continue
            if choices is not None:
                text = _text(raw)
                if text is None:
                    continue
                option_id = choices.get(text.lower())
                if option_id is None:
                    problem(header, raw, f"is not in the {list_name} list")
                python[snake] = option_id
            elif name == "acquiredOn":
                try:
                    python[snake] = _date(raw)
                except CellProblem as error:
                    problem(header, raw, str(error))
            else:
                text = raw.strip() or None if type(raw) is str else _text(raw)
                if text is not None:
                    python[snake] = repeated.once(text)
        contact: dict[str, Any] = dict(no_contact)
        has_contact = False
        for snake, index, repeated in contact_plan:
            raw = values[index] if index < size else None
            if raw is not None:
                text = raw.strip() or None if type(raw) is str else _text(raw)
                if text is not None:
                    contact[snake] = repeated.once(text)
                    has_contact = True
        if has_contact and contact["name"] is None:
            contact["name"] = ""
        # The declared limits of the mutation's own input types, then the services' rules.
        for found in field_problems(CustomerInput, python):
            problem(
                header_of.get(found.field, _label_of(label, found.field)),
                python.get(_SNAKE.get(found.field, found.field)),
                found.message,
            )
        fields = customer_service.CustomerFields(**python)
        problems = Problems()
        customer_service.customer_problems(fields, rules, problems, given=python)
        contact_fields = None
        if has_contact:
            for found in field_problems(ContactInput, contact):
                problem(
                    contact_header_of.get(found.field, _label_of(contact_label, found.field)),
                    contact.get(_SNAKE.get(found.field, found.field)),
                    found.message,
                )
            contact_fields = ContactFields(**contact)
            contact_problems = Problems()
            contact_rule_problems([contact_fields], rules.contact_form, contact_problems, "")
            for p in contact_problems.items:
                problem(
                    contact_header_of.get(p.field, _label_of(contact_label, p.field)),
                    contact.get(_SNAKE.get(p.field, p.field)),
                    p.message,
                )
        for p in problems.items:
            problem(
                header_of.get(p.field, _label_of(label, p.field)),
                python.get(_SNAKE.get(p.field, p.field)),
                p.message,
            )
        if bad:
            continue
        previous = same_customer.get(fields)  # a row repeating a customer: a further contact
        if previous is None:
            previous = same_customer[fields] = _Customer(number, header_of["name"], fields, [])
            customers.append(previous)
        if contact_fields is not None:
            if previous.further_rows is None and (previous.contacts or number != previous.row):
                previous.further_rows = previous.contact_rows()[: len(previous.contacts)]
            previous.contacts.append(contact_fields)
            if previous.further_rows is not None:  # a row's own contact needs no list
                previous.further_rows.append(number)
    return customers, rows, {**contact_header_of, "name": header_of["name"]}


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


# The form's field names (as the API writes them) by the Python names services take.
_SNAKE = {c.field: _snake(c.field) for c in (*CUSTOMER_COLUMNS, *CONTACT_COLUMNS, KIND_COLUMN)}


def _label_of(labels: dict[str, str], field_name: str) -> str | None:
    return labels.get(field_name, field_name or None)


async def _import_customers(run: JobRun, default_kind: CustomerKind) -> Outcome:
    run.principal.require(IMPORTERS[run.subject].permission)  # rights as of now
    started = time.perf_counter()
    options, rules = await _customer_lookups(run)
    report = Report()
    customers, rows, headers = await _threaded(
        run, _read_customers, options, rules, default_kind, report
    )
    read = time.perf_counter()
    await _duplicates(run, customers, headers, report)
    checked = time.perf_counter()
    if report.problems:
        logger.info(
            "import %s refused: %d rows read and checked in %.2fs (the database's part "
            "%.2fs), %d problems", run.job_id, rows, checked - started, checked - read,
            len(report.problems),
        )  # fmt: skip
        return await _refuse(run, report, rows)
    await run.progress(rows, rows)
    outcome = await _write_customers(run, customers, rules, rows)
    logger.info(
        "import %s: %d rows read in %.2fs, checked against the database in %.2fs, written "
        "in %.2fs", run.job_id, rows, read - started, checked - read,
        time.perf_counter() - checked,
    )  # fmt: skip
    return outcome


class _DryRun(Exception):
    pass


async def _write_customers(
    run: JobRun, customers: list[_Customer], rules: customer_service.FormRules, rows: int
) -> Outcome:
    principal = run.principal
    arriving: dict[Pool, int] = {}
    pools = [customer_service.pool_of(rules, c.fields.maturity_id) for c in customers]
    for pool in pools:
        arriving[pool] = arriving.get(pool, 0) + 1
    message = _passed(run, rows, len(customers), "customer")
    try:
        async with UnitOfWork(run.services, principal) as uow:
            job = await run.check_not_cancelled(uow)
            settings = await get_settings(uow.session)
            try:
                await admit(uow, settings, principal.user_id, arriving)
            except DomainError as error:
                return Outcome(False, rows, message=f"Nothing was imported: {error.message}")
            if run.dry_run:
                raise _DryRun()
            ids = await _insert_customers(uow, customers, pools)
            now = uow.now
            contact_rows = (  # generators: each row exists only while COPY sends it
                {**contact_values(contact), "is_primary": index == 0,
                 "customer_id": customer_id, "created_at": now, "updated_at": now}
                for entry, customer_id in zip(customers, ids, strict=True)
                for index, contact in enumerate(entry.contacts)
            )  # fmt: skip
            await copy_rows(uow.session, core_table(Contact), contact_rows)
            await uow.log_copied(
                "customer",
                "create",
                (
                    (i, {"pool": [None, str(p)], "job": [None, run.job_id]})
                    for i, p in zip(ids, pools, strict=True)
                ),
            )
            return _imported(uow, job, rows, message)
    except _DryRun:
        return Outcome(True, rows, message=message)


async def _insert_customers(
    uow: UnitOfWork, customers: list[_Customer], pools: list[Pool]
) -> list[int]:
    principal = uow.principal
    table = core_table(Customer)
    ids = await reserve_ids(uow.session, table, len(customers))
    rows = (
        {
            "id": customer_id,
            **customer_service.new_customer_values(
                entry.fields,
                pool,
                principal.user_id if pool in (Pool.PRIVATE, Pool.TEMPORARY) else None,
                principal.user_id,
                uow.now,
            ),
        }
        for customer_id, entry, pool in zip(ids, customers, pools, strict=True)
    )
    await copy_rows(uow.session, table, rows)
    return ids


# ---- products ----------------------------------------------------------------------------------

_YES = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False,
        "0": False}  # fmt: skip


def _read_products(
    run: JobRun, categories: dict[str, int], report: Report, progress: Callable[[int, int], None]
) -> tuple[list[tuple[int, ProductFields]], int]:
    """Every product row read and checked (blocking: runs in a thread)."""
    from gql_crm.schema.product import ProductInput

    assert run.input_path is not None
    sheet = open_sheet(run.input_path, run.services.settings.max_import_rows)
    every = _progress_step(sheet.size)
    columns = list(PRODUCT_COLUMNS)
    at = _header_map(sheet.headers, columns)
    header_of = {c.field: sheet.headers[at[c.field]] if c.field in at else c.label
                 for c in columns}  # fmt: skip
    for needed in ("name", "code", "price"):
        if needed not in at:
            label = next(c.label for c in columns if c.field == needed)
            raise InvalidInput.single("file", f"has no '{label}' column in its first row")
    products: list[tuple[int, ProductFields]] = []
    codes: dict[str, int] = {}
    rows = 0
    for number, values in sheet.rows:
        rows += 1
        if rows % every == 0:
            progress(rows, sheet.size)
        before = len(report.problems)
        raw = {c.field: _get(values, at.get(c.field)) for c in columns}
        data: dict[str, Any] = {
            "name": _text(raw["name"]) or "",
            "code": _text(raw["code"]) or "",
            "unit": _text(raw["unit"]) or "piece",
            "category_id": None,
            "is_active": True,
        }
        for money in ("price", "cost"):
            try:
                amount = _decimal(raw[money])
            except CellProblem as error:
                report.add(number, header_of[money], raw[money], str(error))
                amount = None
            if amount is None and money == "price" and raw[money] in (None, ""):
                report.add(number, header_of[money], None, "must not be empty")
            data[money] = amount if amount is not None else Decimal("0")
        if (category := _text(raw["categoryId"])) is not None:
            data["category_id"] = categories.get(category.lower())
            if data["category_id"] is None:
                report.add(number, header_of["categoryId"], category,
                           "is not in the product_category list")  # fmt: skip
        if (flag := _text(raw["isActive"])) is not None:
            if flag.lower() not in _YES:
                report.add(number, header_of["isActive"], flag, "must be yes or no")
            data["is_active"] = _YES.get(flag.lower(), True)
        # The declared limits of the mutation's own input type.
        for found in field_problems(ProductInput, data):
            report.add(number, header_of.get(found.field, found.field),
                       raw.get(found.field), found.message)  # fmt: skip
        code = data["code"]  # codes are unique as written (the products' own rule)
        if code and code in codes:
            report.add(number, header_of["code"], data["code"],
                       f"duplicates the code of row {codes[code]}")  # fmt: skip
        codes.setdefault(code, number)
        if len(report.problems) == before:
            products.append((number, ProductFields(**data)))
    return products, rows


@importer(
    "products",
    permission=basic(Module.PRODUCT, Action.IMPORT),
    description="The product catalogue (the products template); codes must be new.",
)
async def products(run: JobRun) -> Outcome:
    run.principal.require(IMPORTERS[run.subject].permission)  # rights as of now
    async with run.services.database.reader() as session:
        categories = _labels(
            await session.execute(
                select(OptionItem.id, OptionItem.label).where(
                    OptionItem.list == OptionList.PRODUCT_CATEGORY
                )
            )
        )
    report = Report()
    found, rows = await _threaded(run, _read_products, categories, report)
    codes = [fields.code for _, fields in found]
    async with run.services.database.reader() as session:
        taken: set[str] = set()
        for chunk in batches(session, codes):
            known = select(Product.code).where(among(session, Product.code, chunk))
            taken.update(await session.scalars(known))
    for number, fields in found:
        if fields.code in taken:
            report.add(number, "Code", fields.code, "another product has this code already")
    if report.problems:
        return await _refuse(run, report, rows)
    await run.progress(rows, rows)
    message = _passed(run, rows, len(found), "product")
    if run.dry_run:
        return Outcome(True, rows, message=message)
    async with UnitOfWork(run.services, run.principal) as uow:
        job = await run.check_not_cancelled(uow)
        table = core_table(Product)
        values = [
            {**product_values(fields), "created_at": uow.now, "updated_at": uow.now}
            for _, fields in found
        ]
        ids = await reserve_ids(uow.session, table, len(values))
        await copy_rows(
            uow.session, table, [{"id": i, **v} for i, v in zip(ids, values, strict=True)]
        )
        await uow.log_copied(
            "product",
            "create",
            [(i, {"code": [None, f.code], "job": [None, run.job_id]})
             for i, (_, f) in zip(ids, found, strict=True)],
        )  # fmt: skip
        return _imported(uow, job, rows, message)


def _passed(run: JobRun, rows: int, count: int, noun: str) -> str:
    """What an import that passed its checks says: what it would import, or what it did."""
    if run.dry_run:
        return f"Checked {rows} row(s): {count} {noun}(s) would be imported."
    return f"Imported {count} {noun}(s) from {rows} row(s)."


def _imported(uow: UnitOfWork, job: Job, rows: int, message: str) -> Outcome:
    """The job ends succeeded in the unit of work that writes the rows: both land, or neither."""
    finish(uow, job, Outcome(True, rows, message=message))
    return Outcome(True, rows, message=message, job=job)


async def _threaded(run: JobRun, read: Callable[..., Any], *arguments: Any) -> Any:
    """``read(run, *arguments, progress)`` in a thread, its progress reported from here."""
    loop = asyncio.get_running_loop()
    pending: list[Any] = []

    def progress(done: int, total: int) -> None:
        pending.append(asyncio.run_coroutine_threadsafe(run.progress(done, total), loop))

    try:
        return await asyncio.to_thread(read, run, *arguments, progress)
    finally:
        for future in pending:
            await asyncio.wrap_future(future)


@importer(
    "enterprise_customers",
    permission=basic(Module.CUSTOMER, Action.IMPORT),
    description="Companies with their contacts (the enterprise template, or a customer "
    "export); a Kind column, when present, decides per row.",
)
async def enterprise_customers(run: JobRun) -> Outcome:
    return await _import_customers(run, CustomerKind.ENTERPRISE)


@importer(
    "individual_customers",
    permission=basic(Module.CUSTOMER, Action.IMPORT),
    description="Individuals with their contacts (the individual template).",
)
async def individual_customers(run: JobRun) -> Outcome:
    return await _import_customers(run, CustomerKind.INDIVIDUAL)


# ---- contacts of existing customers ------------------------------------------------------------

NO_CUSTOMER = "no customer you may see has this name"
NO_CUSTOMER_ID = "no customer you may see has this id"
NOT_YOURS = (
    "is a customer you may not edit: only its owner, their managers or an administrator may "
    "(claim it first if it is in a pool)"
)
KNOWN_CONTACT = "this customer has this contact already (same name, phones and e-mail)"


def _contact_key(fields: ContactFields) -> tuple[Any, ...]:
    """What makes two contacts of a customer the same: the name (in any case), the phones
    and the e-mail as written."""
    values = contact_values(fields)
    return (str(values["name"]).lower(), values["mobile"], values["phone"], values["email"])


@dataclass(slots=True)
class _NewContact:
    row: int
    customer_header: str  # the column that names its customer: the id's when given
    customer_name: str | None  # the name, when the row does not give an id
    customer_ref: int | None  # the id the row gives
    fields: ContactFields
    sound: bool  # the row's own cells have no problem
    customer_id: int = 0  # its customer, once found

    @property
    def customer_value(self) -> Any:
        return self.customer_ref if self.customer_ref is not None else self.customer_name


def _customer_ref(value: Any) -> int:
    """A customer id as a cell holds it: a whole number, as text or as a number."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or not 0 < int(text) < 2**63:
        raise CellProblem("is not a customer id (a whole number)")
    return int(text)


def _read_contacts(
    run: JobRun, form: Any, report: Report, progress: Callable[[int, int], None]
) -> tuple[list[_NewContact], int, dict[str, str]]:
    """Every contact row read and checked on its own (blocking: runs in a thread): the rows
    that name a customer (with their own problems or not), the rows read, and the headers of
    the fields."""
    from gql_crm.schema.contact import ContactInput

    assert run.input_path is not None
    sheet = open_sheet(run.input_path, run.services.settings.max_import_rows)
    every = _progress_step(sheet.size)
    columns = [CUSTOMER_NAME_COLUMN, CUSTOMER_ID_COLUMN, *CONTACT_COLUMNS]
    at = _header_map(sheet.headers, columns)
    if CUSTOMER_NAME_COLUMN.field not in at and CUSTOMER_ID_COLUMN.field not in at:
        raise InvalidInput.single(
            "file",
            f"has neither a '{CUSTOMER_NAME_COLUMN.label}' nor a '{CUSTOMER_ID_COLUMN.label}' "
            "column in its first row",
        )
    if CONTACT_COLUMNS[0].field not in at:
        label = CONTACT_COLUMNS[0].label
        raise InvalidInput.single("file", f"has no '{label}' column in its first row")
    header_of = {c.field: sheet.headers[at[c.field]] if c.field in at else c.label
                 for c in columns}  # fmt: skip
    name_at, id_at = at.get(CUSTOMER_NAME_COLUMN.field), at.get(CUSTOMER_ID_COLUMN.field)
    contacts: list[_NewContact] = []
    rows = 0
    for number, values in sheet.rows:
        rows += 1
        if rows % every == 0:
            progress(rows, sheet.size)
        before = len(report.problems)
        customer = _text(_get(values, name_at))
        ref: int | None = None
        if (raw_ref := _get(values, id_at)) is not None and raw_ref != "":
            try:
                ref = _customer_ref(raw_ref)
            except CellProblem as error:
                report.add(number, header_of["customerId"], raw_ref, str(error))
        elif customer is None:
            report.add(number, header_of["customer"], None,
                       "must name an existing customer (or give its id)")  # fmt: skip
        data: dict[str, Any] = {
            _SNAKE[c.field]: _text(_get(values, at.get(c.field))) for c in CONTACT_COLUMNS
        }
        data["name"] = data["name"] or ""
        # The declared limits of the mutation's own input type, then the contact form's rules.
        for found in field_problems(ContactInput, data):
            report.add(number, header_of.get(found.field, found.field),
                       data.get(_snake(found.field)), found.message)  # fmt: skip
        fields = ContactFields(**data)
        problems = Problems()
        contact_rule_problems([fields], form, problems, "")
        for p in problems.items:
            report.add(number, header_of.get(p.field, p.field), data.get(_snake(p.field)),
                       p.message)  # fmt: skip
        if ref is not None or (customer is not None and raw_ref in (None, "")):
            header = header_of["customerId" if ref is not None else "customer"]
            sound = len(report.problems) == before
            name = customer if ref is None else None
            contacts.append(_NewContact(number, header, name, ref, fields, sound))
    return contacts, rows, header_of


async def _resolve_customers(run: JobRun, contacts: list[_NewContact], report: Report) -> None:
    """Each row's customer, by id when it gives one, else by name, among the live customers
    the importer may see (a statement per batch of ids and of names): none, or more than one
    name, or one they may not edit, is a problem of the row's customer cell."""
    names = list({c.customer_name.lower() for c in contacts if c.customer_name is not None})
    refs = list({c.customer_ref for c in contacts if c.customer_ref is not None})
    found: dict[str, list[Customer]] = {}
    by_id: dict[int, Customer] = {}
    async with run.services.database.reader() as session:
        for chunk in batches(session, names):
            for customer in await session.scalars(
                select(Customer).where(
                    visibility.customer(run.principal),
                    among(session, func.lower(Customer.name), chunk),
                )
            ):
                found.setdefault(customer.name.lower(), []).append(customer)
        for id_chunk in batches(session, refs):
            for customer in await session.scalars(
                select(Customer).where(
                    visibility.customer(run.principal), among(session, Customer.id, id_chunk)
                )
            ):
                by_id[customer.id] = customer
    for contact in contacts:
        if contact.customer_ref is not None:
            known = by_id.get(contact.customer_ref)
            matches = [known] if known else []
            missing = NO_CUSTOMER_ID
        else:
            assert contact.customer_name is not None
            matches = found.get(contact.customer_name.lower(), [])
            missing = NO_CUSTOMER
        if not matches:
            reason = missing
        elif len(matches) > 1:
            ids = ", ".join(str(c.id) for c in sorted(matches, key=lambda c: c.id))
            reason = (
                f"names {len(matches)} customers (ids {ids}): give the one you mean in "
                f"{CUSTOMER_ID_COLUMN.label}"
            )
        elif not can_manage(run.principal, matches[0]):
            reason = NOT_YOURS
        else:
            contact.customer_id = matches[0].id
            continue
        report.add(contact.row, contact.customer_header, contact.customer_value, reason)


def _repeated_contacts(
    contacts: list[_NewContact], headers: dict[str, str], report: Report
) -> None:
    """A row adding the same contact to the same customer as an earlier row (however each
    names the customer) is a problem of its name cell."""
    seen: dict[tuple[Any, ...], int] = {}
    for contact in contacts:
        if contact.customer_id:
            key = (contact.customer_id, *_contact_key(contact.fields))
            if (earlier := seen.setdefault(key, contact.row)) != contact.row:
                report.add(contact.row, headers["name"], contact.fields.name,
                           f"repeats the contact of row {earlier}")  # fmt: skip


async def _existing_contacts(run: JobRun, customer_ids: list[int]) -> set[tuple[Any, ...]]:
    """(customer id, contact key) of the contacts these customers have."""
    found: set[tuple[Any, ...]] = set()
    async with run.services.database.reader() as session:
        for chunk in batches(session, customer_ids):
            rows = await session.execute(
                select(Contact.customer_id, Contact.name, Contact.mobile, Contact.phone,
                       Contact.email).where(among(session, Contact.customer_id, chunk))
            )  # fmt: skip
            found.update((c, n.lower(), m, p, e) for c, n, m, p, e in rows)
    return found


async def _contact_duplicates(
    run: JobRun, contacts: list[_NewContact], headers: dict[str, str], report: Report
) -> None:
    """The duplicate rule, as adding a contact applies it: a number or e-mail (as the rule
    names them) of another customer, in the file or live, is a problem of its cell."""
    cells: list[tuple[customer_service.DuplicateKey, _NewContact]] = []
    async with run.services.database.reader() as session:
        rule = customer_service.duplicate_rule(await get_settings(session))
        for contact in contacts:
            for key in customer_service.duplicate_keys(rule, None, [contact.fields], ""):
                cells.append((key, contact))
        taken = await customer_service.existing_duplicates(session, [key for key, _ in cells])
    first: dict[tuple[Any, str], _NewContact] = {}
    for key, contact in cells:
        value = getattr(contact.fields, key.field)
        if taken.get((key.same, key.value), set()) - {contact.customer_id}:
            report.add(contact.row, headers[key.field], value,
                       customer_service.EXISTS_ALREADY[key.same])  # fmt: skip
            continue  # another customer's already: no row of the file claims it
        earlier = first.setdefault((key.same, key.value), contact)
        if earlier.customer_id != contact.customer_id:
            report.add(contact.row, headers[key.field], value, key.repeats(earlier.row))


@importer(
    "contacts",
    permission=basic(Module.CONTACT, Action.IMPORT),
    description="Further contacts of existing customers you may edit (the contacts template, "
    "or a contacts export), each row naming its customer by id or by name (the id decides "
    "when both are given).",
)
async def contacts(run: JobRun) -> Outcome:
    run.principal.require(IMPORTERS[run.subject].permission)  # rights as of now
    async with run.services.database.reader() as session:
        form = await form_settings(session, FormName.CONTACT)
    report = Report()
    named, rows, headers = await _threaded(run, _read_contacts, form, report)
    await _resolve_customers(run, named, report)
    _repeated_contacts(named, headers, report)
    resolved = [c for c in named if c.customer_id and c.sound]
    existing = await _existing_contacts(run, sorted({c.customer_id for c in resolved}))
    for contact in resolved:
        if (contact.customer_id, *_contact_key(contact.fields)) in existing:
            report.add(contact.row, contact.customer_header, contact.customer_value,
                       KNOWN_CONTACT)  # fmt: skip
    await _contact_duplicates(run, resolved, headers, report)
    if report.problems:
        return await _refuse(run, report, rows)
    await run.progress(rows, rows)
    found = resolved  # no problems: every row named its customer and is sound
    message = _passed(run, rows, len(found), "contact")
    if run.dry_run:
        return Outcome(True, rows, message=message)
    async with UnitOfWork(run.services, run.principal) as uow:
        job = await run.check_not_cancelled(uow)
        customer_ids = sorted({c.customer_id for c in found})
        has_primary: set[int] = set()
        for chunk in batches(uow.session, customer_ids):
            has_primary.update(
                await uow.session.scalars(
                    select(Contact.customer_id).where(
                        among(uow.session, Contact.customer_id, chunk),
                        Contact.is_primary.is_(True),
                    )
                )
            )
        table = core_table(Contact)
        ids = await reserve_ids(uow.session, table, len(found))
        values = []
        for contact_id, contact in zip(ids, found, strict=True):
            primary = contact.customer_id not in has_primary  # a customer's first contact
            has_primary.add(contact.customer_id)
            values.append(
                {"id": contact_id, **contact_values(contact.fields), "is_primary": primary,
                 "customer_id": contact.customer_id, "created_at": uow.now,
                 "updated_at": uow.now}
            )  # fmt: skip
        await copy_rows(uow.session, table, values)
        await uow.log_copied(
            "contact",
            "create",
            [(i, {"customerId": [None, c.customer_id], "job": [None, run.job_id]})
             for i, c in zip(ids, found, strict=True)],
        )  # fmt: skip
        return _imported(uow, job, rows, message)
