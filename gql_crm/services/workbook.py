"""Workbooks in and out: the columns of customers, contacts and products as the templates,
imports and exports name them, writing cells Excel accepts, and opening an uploaded workbook
only once it is known to be a plain one.

An uploaded file is refused, with a message saying why, when it is not an .xlsx workbook, is
password-protected (an encrypted OLE2 container), carries macros, would expand past
``MAX_EXPANDED_BYTES`` or by more than ``MAX_RATIO`` (a ZIP bomb), has hidden sheets, merged
cells in the sheet read, formulas instead of values, or more data rows than the limit.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook, SheetVisibleEnum
from rustpy_xlsxwriter import FastExcel, Format

from gql_crm.services.errors import InvalidInput

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_EXPANDED_BYTES = 512 * 1024 * 1024
MAX_RATIO = 200
NOTE_PREFIX = "Note:"  # the first cell of a template's notes row
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL = re.compile(rb'<(?:\w+:)?c r="([A-Z]+[0-9]+)"')
_ROW = re.compile(rb"<(?:\w+:)?row[\s>]")
_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")
_TAIL = 4096  # bytes kept between chunks, so that no tag is cut in two unseen


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a sheet: the form field it holds (camelCase, as the API names it), its
    header, and what the notes row says about it."""

    field: str
    label: str
    note: str = ""
    options: str | None = None  # the option list whose labels it takes


CUSTOMER_COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", "Required; unique among customers."),
    Column("shortName", "Short name"),
    Column("acquiredOn", "Acquired on", "A date (YYYY-MM-DD)."),
    Column("categoryId", "Category", "One of the list.", "category"),
    Column("sourceId", "Source", "One of the list.", "source"),
    Column("statusId", "Status", "One of the list.", "status"),
    Column("maturityId", "Maturity", "One of the list; decides the pool.", "maturity"),
    Column("industryId", "Industry", "One of the list.", "industry"),
    Column("city", "City"),
    Column("address", "Address"),
    Column("website", "Website"),
    Column("remarks", "Remarks"),
)
KIND_COLUMN = Column("kind", "Kind", "enterprise or individual.")
CONTACT_COLUMNS: tuple[Column, ...] = (
    Column("name", "Contact name", "Rows repeating a customer add its further contacts."),
    Column("gender", "Contact gender", "male, female or other.", "gender"),
    Column("mobile", "Contact mobile"),
    Column("phone", "Contact phone"),
    Column("email", "Contact email"),
    Column("title", "Contact title"),
)
# The customer a row of the contacts sheet adds to, by name or by id (the id decides when
# both are given); the contacts export writes both.
CUSTOMER_NAME_COLUMN = Column(
    "customer", "Customer", "An existing customer's name; required unless Customer ID is given."
)
CUSTOMER_ID_COLUMN = Column(
    "customerId", "Customer ID", "An existing customer's id; when given, it decides the customer."
)
PRODUCT_COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", "Required."),
    Column("code", "Code", "Required; unique."),
    Column("categoryId", "Category", "One of the list.", "product_category"),
    Column("price", "Price", "Required; a number with at most 2 decimal places."),
    Column("cost", "Cost", "Required; a number with at most 2 decimal places."),
    Column("unit", "Unit", "Required (piece, set, hour...)."),
    Column("isActive", "Active", "yes or no; yes when empty."),
)


def cell(value: Any) -> Any:
    """A value as a cell holds it: dates and numbers as such, time zones left out (times
    are UTC), enums as their values."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | Decimal | int | float | str) or value is None:
        return value
    return str(value)


_AS_THEY_ARE = (str, int, float, Decimal, date)  # datetimes excepted (a date subclass)


def write_table(
    path: Path,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    dates: Collection[str] = (),
) -> None:
    """A workbook of one sheet, ``title``: the headers, then the rows (values as ``cell``
    gives them, one Python type per column), streamed from the iterable, so memory stays
    flat whatever their number; the columns headed ``dates`` hold days, shown without a
    time. rust_xlsxwriter writes it: an export of 100,000 customers spent three quarters of
    its time in openpyxl's write-only cell writer."""
    assert len(set(headers)) == len(headers), "a header names one column"
    days = {header: Format().set_num_format(DATE_FORMAT) for header in dates}

    def records() -> Iterator[dict[str, Any]]:
        empty = True
        for row in rows:
            empty = False
            yield dict(zip(headers, row, strict=True))
        if empty:
            yield dict.fromkeys(headers)  # the header row alone

    sheet = FastExcel(path).format(datetime_format=DATETIME_FORMAT).freeze(row=1)
    sheet.sheet(title, records(), column_formats=days).save()


def needs_cell(python_type: type | None) -> bool:
    """Whether values of a column of this Python type (None: unknown) must pass through
    ``cell`` on their way to a sheet; the others are written as they come, which spares
    an export a call per value of its plain columns."""
    if python_type is None or issubclass(python_type, datetime | Enum):
        return True
    return not issubclass(python_type, _AS_THEY_ARE)


# ---- reading an upload ---------------------------------------------------------------------


def _refuse(message: str) -> InvalidInput:
    return InvalidInput.single("file", message)


def check_container(path: Path) -> None:
    """Refuse what is not a plain .xlsx workbook, before any XML is parsed."""
    with path.open("rb") as head_file:
        head = head_file.read(8)
    if head == _OLE2:
        with path.open("rb") as whole:
            content = whole.read(4 * 1024 * 1024)
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o" in content:
            raise _refuse("is password-protected: remove the password and upload it again")
        raise _refuse("is an Excel 97-2003 (.xls) workbook: save it as .xlsx and upload it again")
    if not zipfile.is_zipfile(path):
        raise _refuse("is not an Excel workbook (.xlsx)")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            if "xl/workbook.xml" not in names:
                raise _refuse("is not an Excel workbook (.xlsx)")
            if "xl/vbaProject.bin" in names or any(n.endswith(".bin") for n in names):
                raise _refuse("contains macros, which are never run: save it as .xlsx without them")
            expanded = sum(entry.file_size for entry in entries)
            packed = sum(entry.compress_size for entry in entries) or 1
            if expanded > MAX_EXPANDED_BYTES or expanded / packed > MAX_RATIO:
                raise _refuse(
                    f"expands to {expanded} bytes ({expanded // packed}x its size): refused as a "
                    f"ZIP bomb (at most {MAX_EXPANDED_BYTES // (1024 * 1024)} MiB and "
                    f"{MAX_RATIO}x)"
                )
    except zipfile.BadZipFile:
        raise _refuse("is not an Excel workbook (.xlsx): the archive is damaged") from None


def _scan_sheets(path: Path, max_rows: int) -> None:
    """Stream every worksheet's XML once, before any is loaded: refuse formulas, merged cells
    and sheets of more rows than the limit (counted, not taken from the sheet's claim)."""
    with zipfile.ZipFile(path) as archive:
        parts = [n for n in archive.namelist() if _SHEET_PART.fullmatch(n)]
        for part in sorted(parts):
            rows = 0
            tail = b""
            with archive.open(part) as sheet:
                while chunk := sheet.read(1024 * 1024):
                    text = tail + chunk
                    # The literal parts first (a fast scan), the patterns only where they may be.
                    if b"mergeCell" in text and _MERGE.search(text):
                        raise _refuse(
                            "has merged cells: unmerge them so that each value has its own cell"
                        )
                    maybe_formula = b"<f" in text or b":f" in text
                    if maybe_formula and (formula := _FORMULA.search(text)) is not None:
                        cells = _CELL.findall(text, 0, formula.start())
                        where = f"cell {cells[-1].decode()}" if cells else "a cell"
                        raise _refuse(f"{where} holds a formula: paste values instead")
                    # Rows whose tag starts in the kept tail were cut off and not counted yet.
                    rows += _count_rows(text, max(0, len(tail) - 4))
                    if rows > max_rows + 1:  # the header row besides the data
                        raise _refuse(f"has more than {max_rows} data rows, the limit: split it")
                    tail = text[-_TAIL:]


def _count_rows(text: bytes, start: int) -> int:
    """The row tags in ``text`` from ``start``: counted in C when every ``<row`` is one as
    writers write them (no namespace prefix, a space or ``>`` after), else by the pattern."""
    if b":row" not in text:
        tags = text.count(b"<row ", start) + text.count(b"<row>", start)
        if tags == text.count(b"<row", start):
            return tags
    return len(_ROW.findall(text, start))


@dataclass(slots=True)
class Sheet:
    """The first sheet of a checked workbook: its header and its data rows (numbered as the
    spreadsheet numbers them)."""

    headers: list[str]
    header_row: int
    rows: Iterator[tuple[int, tuple[Any, ...]]]
    size: int  # rows under the header, empty ones and a notes row included


def open_sheet(
    path: Path, max_rows: int, *, checked: bool = False, every_row: bool = False
) -> Sheet:
    """The checked workbook's first sheet, its values as stored (no formula is evaluated:
    a workbook with formulas is refused); hidden sheets refused too. ``checked``: the file
    passed the container and sheet checks already (a job reading its upload again).
    Empty rows and a notes row are skipped unless ``every_row``."""
    if not checked:
        check_container(path)
        _scan_sheets(path, max_rows)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        hidden = [m.name for m in workbook.sheets_metadata if m.visible != SheetVisibleEnum.Visible]
        sheet = workbook.get_sheet_by_index(0)
    except CalamineError as error:
        raise _refuse(f"cannot be read as a workbook ({error})") from None
    if hidden:
        raise _refuse(f"has hidden sheets ({', '.join(hidden)}): unhide or delete them")
    first_row = sheet.start[0] + 1 if sheet.start else 1
    reader = sheet.iter_rows()
    headers = [_header(value) for value in next(reader, [])]

    def rows() -> Iterator[tuple[int, tuple[Any, ...]]]:
        # An empty cell reads as "" (never None): a row of them is skipped, one among values
        # becomes None. Counted in C, so that a row without empty cells costs no per-value
        # Python.
        for number, values in enumerate(reader, start=first_row + 1):
            blank = values.count("")
            if blank == len(values) and not every_row:
                continue
            first = values[0]
            notes = isinstance(first, str) and first.startswith(NOTE_PREFIX)
            if number == first_row + 1 and notes and not every_row:
                continue
            if blank:
                yield number, tuple(None if v == "" else v for v in values)
            else:
                yield number, tuple(values)

    return Sheet(headers, first_row, rows(), max(0, sheet.height - 1))


def _header(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() if value is not None else ""
