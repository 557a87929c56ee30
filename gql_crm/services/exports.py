"""Exports (F11): one registry entry per kind, each a query whose labelled columns are the
sheet's; the job streams it in batches into a workbook (``workbook.write_table``), so
memory stays flat.

To add an export, register its query once::

    @exporter("products", permission=basic(Module.PRODUCT, Action.EXPORT), title="Products")
    def products(principal: Principal, parameters: dict[str, Any]) -> Any:
        return select(Product.name.label("Name"), ...)

It is then a value of ``ExportKind`` in the schema (its name in upper case), checked against
``permission``, run by the same job, and downloadable the same way.

A statistics report is exported by ``start_report_export`` (the job's subject is ``report``):
the report as its query answers it, run again by the job as its owner, written as a table
with a native Excel chart drawn from the table's cells.
"""

from __future__ import annotations

import asyncio
import enum
import operator
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import AreaChart, BarChart, DoughnutChart, LineChart, PieChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from gql_crm.auth.masking import MASKS
from gql_crm.auth.permissions import Action, Module, basic
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.masking import sensitive_columns
from gql_crm.db.models import (
    Contact,
    Customer,
    MaturityOption,
    OptionItem,
    Order,
    PaymentRecord,
    Refund,
    User,
)
from gql_crm.db.models.job import Job, JobKind
from gql_crm.services import customer as customer_service
from gql_crm.services.errors import InvalidInput
from gql_crm.services.job import (
    JobRun,
    Outcome,
    file_path,
    handler,
    new_key,
    prepare_dir,
    start,
)
from gql_crm.services.statistics import (
    STATISTICS_VIEW,
    TIME,
    Report,
    ReportKind,
    ReportProblem,
    ReportRequest,
    Unit,
)
from gql_crm.services.unit_of_work import UnitOfWork
from gql_crm.services.workbook import (
    CONTACT_COLUMNS,
    CUSTOMER_COLUMNS,
    CUSTOMER_ID_COLUMN,
    CUSTOMER_NAME_COLUMN,
    KIND_COLUMN,
    cell,
    needs_cell,
    write_table,
)

BATCH = 2000
DETAILS = "_details"  # a query's column: whether the caller sees this row's contact details


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


Query = Callable[[Principal, dict[str, Any]], Any]  # a Select with labelled columns


@dataclass(frozen=True, slots=True)
class Exporter:
    kind: str
    title: str  # the sheet's and the file's name
    description: str
    permission: str
    query: Query


EXPORTERS: dict[str, Exporter] = {}
# Headers of sensitive columns, and their masks (as the contact columns declare them).
SENSITIVE = {
    column.label: mask
    for column in CONTACT_COLUMNS
    if (mask := sensitive_columns(Contact).get(_snake(column.field)))
}


def exporter(
    kind: str, *, permission: str, title: str, description: str
) -> Callable[[Query], Query]:
    """Register ``query`` as the export ``kind`` (see the module)."""

    def register(query: Query) -> Query:
        EXPORTERS[kind] = Exporter(kind, title, description, permission, query)
        handler(JobKind.EXPORT, kind)(_export)
        return query

    return register


async def _export(run: JobRun) -> Outcome:
    found = EXPORTERS[run.subject]
    run.principal.require(found.permission)  # rights are those of now, not of the request
    stmt = found.query(run.principal, run.parameters)
    names = [column.name for column in stmt.selected_columns]
    written = [i for i, name in enumerate(names) if not name.startswith("_")]
    headers = [names[i] for i in written]
    # Sensitive columns are masked here, the way the screen masks them, unless the row's
    # DETAILS column says the caller sees them in full.
    flag = names.index(DETAILS) if DETAILS in names else None
    masks = {i: MASKS[SENSITIVE[name]] for i, name in enumerate(names) if name in SENSITIVE}
    database = run.services.database
    async with database.reader() as session:
        total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    await run.progress(0, total)

    # Per value, only what a column needs: its mask (for rows that say so) and ``cell``
    # (for the columns whose values a sheet cannot take as they are).
    pick = operator.itemgetter(*written) if len(written) > 1 else lambda r: (r[written[0]],)
    converted = [
        position
        for position, i in enumerate(written)
        if needs_cell(_python_type(stmt.selected_columns[i]))
    ]
    masked = [(written.index(i), masker) for i, masker in masks.items() if i in written]

    def values(row: Any) -> list[Any]:
        picked = list(pick(row))
        if flag is not None and not row[flag]:
            for position, masker in masked:
                picked[position] = masker(picked[position])
        for position in converted:
            picked[position] = cell(picked[position])
        return picked

    prepare_dir(run.services.settings)
    key = new_key()
    loop = asyncio.get_running_loop()
    done = 0
    async with database.reader() as session:
        result = await session.stream(stmt.execution_options(yield_per=BATCH))
        batches = aiter(result.partitions(BATCH))

        async def next_batch() -> Sequence[Any] | None:
            if done:
                await run.progress(done, total)  # raises once the job is cancelled
            return await anext(batches, None)

        # The sheet is written in a thread, which asks the event loop for each next batch.
        def rows() -> Iterator[list[Any]]:
            nonlocal done
            while batch := asyncio.run_coroutine_threadsafe(next_batch(), loop).result():
                done += len(batch)
                yield from map(values, batch)

        path = file_path(run.services.settings, key)
        days = [names[i] for i in written if _python_type(stmt.selected_columns[i]) is date]
        await asyncio.to_thread(write_table, path, found.title, headers, rows(), days)
    name = f"{found.title}.xlsx"
    return Outcome(True, done, result_key=key, result_name=name)


def _python_type(column: Any) -> type | None:
    try:
        return column.type.python_type  # type: ignore[no-any-return]
    except NotImplementedError:
        return None


def _label(column: Any, header: str) -> Any:
    return column.label(header)


def _customer_columns(principal: Principal) -> tuple[list[Any], Any]:
    """The customer and contact columns under the headers an import reads, with the option
    lists' labels, and the joins they need."""
    options = {name: aliased(OptionItem) for name in ("category", "source", "status", "industry")}
    owner = aliased(User)
    labels = {c.field: c.label for c in CUSTOMER_COLUMNS}
    contact_labels = {c.field: c.label for c in CONTACT_COLUMNS}
    columns = [
        _label(Customer.name, labels["name"]),
        _label(Customer.kind, KIND_COLUMN.label),
        _label(Customer.short_name, labels["shortName"]),
        _label(Customer.acquired_on, labels["acquiredOn"]),
        _label(options["category"].label, labels["categoryId"]),
        _label(options["source"].label, labels["sourceId"]),
        _label(options["status"].label, labels["statusId"]),
        _label(MaturityOption.label, labels["maturityId"]),
        _label(options["industry"].label, labels["industryId"]),
        _label(Customer.city, labels["city"]),
        _label(Customer.address, labels["address"]),
        _label(Customer.website, labels["website"]),
        _label(Customer.remarks, labels["remarks"]),
        _label(Contact.name, contact_labels["name"]),
        _label(Contact.gender, contact_labels["gender"]),
        _label(Contact.mobile, contact_labels["mobile"]),
        _label(Contact.phone, contact_labels["phone"]),
        _label(Contact.email, contact_labels["email"]),
        _label(Contact.title, contact_labels["title"]),
        _label(Customer.pool, "Pool"),
        _label(owner.name, "Owner"),
        _label(Customer.created_at, "Created at (UTC)"),
        _label(visibility.contact_details(principal), DETAILS),
    ]

    def joined(stmt: Select[Any]) -> Any:
        stmt = stmt.select_from(Customer).outerjoin(Contact, Contact.customer_id == Customer.id)
        for name, alias in options.items():
            stmt = stmt.outerjoin(alias, alias.id == getattr(Customer, f"{name}_id"))
        stmt = stmt.outerjoin(MaturityOption, MaturityOption.id == Customer.maturity_id)
        return stmt.outerjoin(owner, owner.id == Customer.owner_id)

    return columns, joined


@exporter(
    "customers",
    permission=basic(Module.CUSTOMER, Action.EXPORT),
    title="Customers",
    description="Customers of a list view and filter you may use, one row per contact (phones "
    "and e-mails masked as on screen); the sheet imports again as it is.",
)
def customers(principal: Principal, parameters: dict[str, Any]) -> Any:
    filters = customer_service.CustomerFilter(**customer_filter(parameters))
    columns, joined = _customer_columns(principal)
    stmt = customer_service.customer_query(principal, filters).with_only_columns(*columns)
    return joined(stmt).order_by(Customer.id, Contact.is_primary.desc(), Contact.id)


def customer_filter(parameters: dict[str, Any]) -> dict[str, Any]:
    """A stored customer filter (JSON) as ``CustomerFilter`` takes it."""
    from gql_crm.db.models import CustomerKind, Pool

    values = dict(parameters.get("filter") or {})
    if values.get("view") is not None:
        values["view"] = customer_service.CustomerView(values["view"])
    if values.get("pool") is not None:
        values["pool"] = Pool(values["pool"])
    if values.get("kind") is not None:
        values["kind"] = CustomerKind(values["kind"])
    return values


@exporter(
    "contacts",
    permission=basic(Module.CONTACT, Action.EXPORT),
    title="Contacts",
    description="Contacts of the customers you may see (phones and e-mails masked as on screen).",
)
def contacts(principal: Principal, parameters: dict[str, Any]) -> Any:
    labels = {c.field: c.label for c in CONTACT_COLUMNS}
    return (
        select(
            Customer.name.label(CUSTOMER_NAME_COLUMN.label),
            Customer.id.label(CUSTOMER_ID_COLUMN.label),
            Contact.name.label(labels["name"]),
            Contact.gender.label(labels["gender"]),
            Contact.mobile.label(labels["mobile"]),
            Contact.phone.label(labels["phone"]),
            Contact.email.label(labels["email"]),
            Contact.title.label(labels["title"]),
            Contact.is_primary.label("Primary"),
            visibility.contact_details(principal).label(DETAILS),
        )
        .join(Customer, Customer.id == Contact.customer_id)
        .where(visibility.customer(principal))
        .order_by(Customer.id, Contact.is_primary.desc(), Contact.id)
    )


@exporter(
    "orders",
    permission=basic(Module.ORDER, Action.EXPORT),
    title="Orders",
    description="Orders and contracts you may see.",
)
def orders(principal: Principal, parameters: dict[str, Any]) -> Any:
    owner = aliased(User)
    customer = aliased(Customer)  # the exists() of the visibility rule is not this
    return (
        select(
            Order.id.label("Order"),
            customer.name.label("Customer"),
            Order.title.label("Title"),
            Order.amount.label("Amount"),
            Order.signed_on.label("Signed on"),
            Order.starts_on.label("Starts on"),
            Order.expires_on.label("Expires on"),
            owner.name.label("Owner"),
            Order.remarks.label("Remarks"),
            Order.created_at.label("Created at (UTC)"),
        )
        .join(customer, customer.id == Order.customer_id)
        .join(owner, owner.id == Order.owner_id)
        .where(visibility.order(principal, narrowed=True))
        .order_by(Order.id)
    )


@exporter(
    "payments",
    permission=basic(Module.PAYMENT, Action.EXPORT),
    title="Payment records",
    description="Payments received on the orders you may see.",
)
def payments(principal: Principal, parameters: dict[str, Any]) -> Any:
    handler_user = aliased(User)
    customer = aliased(Customer)  # the exists() of the visibility rule is not this
    return (
        select(
            PaymentRecord.order_id.label("Order"),
            Order.title.label("Order title"),
            customer.name.label("Customer"),
            PaymentRecord.sequence.label("Payment"),
            PaymentRecord.paid_on.label("Paid on"),
            PaymentRecord.amount.label("Amount"),
            handler_user.name.label("Handled by"),
            PaymentRecord.invoiced.label("Invoiced"),
            PaymentRecord.remarks.label("Remarks"),
        )
        .join(Order, Order.id == PaymentRecord.order_id)
        .join(customer, customer.id == Order.customer_id)
        .outerjoin(handler_user, handler_user.id == PaymentRecord.handler_id)
        .where(visibility.order(principal, narrowed=True))
        .order_by(PaymentRecord.id)
    )


@exporter(
    "refunds",
    permission=basic(Module.REFUND, Action.EXPORT),
    title="Refunds",
    description="Refunds on the orders you may see.",
)
def refunds(principal: Principal, parameters: dict[str, Any]) -> Any:
    customer = aliased(Customer)  # the exists() of the visibility rule is not this
    return (
        select(
            Refund.order_id.label("Order"),
            Order.title.label("Order title"),
            customer.name.label("Customer"),
            Refund.amount.label("Amount"),
            Refund.refunded_at.label("Refunded at (UTC)"),
            Refund.reason.label("Reason"),
        )
        .join(Order, Order.id == Refund.order_id)
        .join(customer, customer.id == Order.customer_id)
        .where(visibility.order(principal, narrowed=True))
        .order_by(Refund.id)
    )


async def start_export(uow: UnitOfWork, kind: str, parameters: dict[str, Any]) -> Job:
    """Queue an export of ``kind`` for the caller, who needs its export permission."""
    found = EXPORTERS[kind]
    uow.principal.require(found.permission)
    found.query(uow.principal, parameters)  # a filter it cannot use fails now, not later
    return await start(uow, JobKind.EXPORT, kind, parameters=parameters)


# ---- reports -------------------------------------------------------------------------------

STATISTICS_EXPORT = basic(Module.STATISTICS, Action.EXPORT)
REPORT = "report"  # the subject of a report's export job


class Chart(enum.StrEnum):
    LINE = "line"
    COLUMN = "column"
    BAR = "bar"
    AREA = "area"
    PIE = "pie"
    DOUGHNUT = "doughnut"


ONE_SERIES = (Chart.PIE, Chart.DOUGHNUT)
REPORT_TITLES = {
    ReportKind.STATISTICS: "Statistics",
    ReportKind.LEADERBOARD: "Leaderboard",
    ReportKind.COMBINED: "Combined statistics",
    ReportKind.PRODUCTS: "Product statistics",
    ReportKind.CUSTOMERS: "Customer statistics",
}
NUMBER_FORMATS = {Unit.COUNT: "0", Unit.MONEY: "#,##0.00", Unit.QUANTITY: "#,##0.00"}


def natural_chart(request: ReportRequest) -> Chart:
    """The chart a report draws unless the caller chooses: a line along time, bars for a
    ranking, a pie for how customers divide, columns otherwise."""
    if request.dimension in TIME:
        return Chart.LINE
    if request.kind is ReportKind.LEADERBOARD:
        return Chart.BAR
    if request.kind is ReportKind.CUSTOMERS:
        return Chart.PIE
    return Chart.COLUMN


def _check_report(request: ReportRequest, chart: Chart) -> None:
    try:
        request.check()
    except ReportProblem as problem:
        raise InvalidInput.single(problem.field or "report", str(problem)) from None
    if chart in ONE_SERIES and len(request.metrics_shown()) > 1:
        raise InvalidInput.single(
            "chart", f"A {chart} chart shows one series; choose one metric or another chart."
        )


async def start_report_export(
    uow: UnitOfWork, request: ReportRequest, chart: Chart | None = None
) -> Job:
    """Queue the export of a statistics report for the caller (who needs statistics:export
    beside the report's own right); bad arguments are refused now, with no job."""
    uow.principal.require(STATISTICS_EXPORT)
    chart = chart or natural_chart(request)
    _check_report(request, chart)
    parameters = {**request.stored(), "chart": chart.value}
    return await start(uow, JobKind.EXPORT, REPORT, parameters=parameters)


@handler(JobKind.EXPORT, REPORT)
async def _export_report(run: JobRun) -> Outcome:
    for code in (STATISTICS_VIEW, STATISTICS_EXPORT):  # rights of now, not of the request
        run.principal.require(code)
    request = ReportRequest.from_stored(run.parameters)
    chart = Chart(run.parameters["chart"])
    await run.progress(0, None)
    async with run.services.database.reader() as session:
        try:
            report = await request.run(session, run.principal)
        except ReportProblem as problem:
            return Outcome(False, 0, message=str(problem))
    workbook = report_workbook(request, report, chart)
    await run.progress(len(report.keys), len(report.keys))
    prepare_dir(run.services.settings)
    key = new_key()
    await asyncio.to_thread(workbook.save, file_path(run.services.settings, key))
    return Outcome(True, len(report.keys), result_key=key, result_name=report_file_name(request))


def report_file_name(request: ReportRequest) -> str:
    title = REPORT_TITLES[request.kind]
    if request.first is None or request.last is None:
        return f"{title}.xlsx"
    return f"{title} {request.first.isoformat()} to {request.last.isoformat()}.xlsx"


def _words(name: str) -> str:
    return name.replace("_", " ").capitalize()


def report_workbook(request: ReportRequest, report: Report, chart: Chart) -> Workbook:
    """The report's table on the first sheet (a header row, one row per key, a total row)
    and a chart drawn from the table's cells; what was asked for on a second sheet."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = REPORT_TITLES[request.kind]
    ranked = report.ranks is not None
    headers = (["Rank"] if ranked else []) + [_words(report.dimension.value)]
    headers += [f"{_words(s.metric.value)} ({s.unit.value})" for s in report.series]
    sheet.append(headers + (["Tied"] if ranked else []))
    first_value = len(headers) - len(report.series) + 1  # column of the first series
    for row, label in enumerate(report.labels):
        values: list[Any] = [report.ranks[row]] if report.ranks is not None else []
        values += [label, *(s.values[row] for s in report.series)]
        if report.tied is not None:
            values.append("yes" if report.tied[row] else "")
        sheet.append(values)
    sheet.append(([""] if ranked else []) + ["Total", *(s.total for s in report.series)])
    for row in sheet.iter_rows(min_row=1, max_row=1):
        for header in row:
            header.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=sheet.max_row, max_row=sheet.max_row):
        for total in row:
            total.font = Font(bold=True)
    for offset, series in enumerate(report.series):
        column = first_value + offset
        for (value,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            value.number_format = NUMBER_FORMATS[series.unit]
    _fit_columns(sheet)
    # Printed (or turned into a PDF), the table and its chart come out one page wide.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if report.keys:
        sheet.add_chart(
            _chart(sheet, report, chart, first_value), f"{get_column_letter(len(headers) + 2)}2"
        )
    _about(workbook, request, report, chart)
    return workbook


def _shown(value: Any) -> str:
    """A cell's value as a spreadsheet shows it with ``NUMBER_FORMATS`` (near enough to size
    its column)."""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return "" if value is None else str(value)


def _fit_columns(sheet: Any) -> None:
    """Each column as wide as its widest cell, so that no header is cut and no figure shows
    as ``###``; bold text (headers, totals) takes a little more room."""
    for column in sheet.iter_cols():
        widest = max(len(_shown(cell.value)) * (1.15 if cell.font.b else 1) for cell in column)
        sheet.column_dimensions[get_column_letter(column[0].column)].width = max(8, widest + 2)


def _plot(chart: Chart) -> Any:
    if chart is Chart.LINE:
        return LineChart()
    if chart is Chart.AREA:
        return AreaChart()
    if chart is Chart.PIE:
        return PieChart()
    if chart is Chart.DOUGHNUT:
        return DoughnutChart()
    drawn = BarChart()
    drawn.type = "col" if chart is Chart.COLUMN else "bar"
    return drawn


def _chart(sheet: Any, report: Report, chart: Chart, first_value: int) -> Any:
    """The chart of the table's series. Series of one unit share the value axis; with
    several units, amounts (or the first unit) keep the chart's own and the others are
    lines against a second axis on the right, or counts would lie flat under amounts a
    thousand times larger."""
    rows = len(report.keys)
    units = [s.unit for s in report.series]
    main = Unit.MONEY if Unit.MONEY in units else units[0]
    drawn = _plot(chart)
    others = LineChart() if chart not in ONE_SERIES and len(set(units)) > 1 else None
    for offset, series in enumerate(report.series):
        plot = drawn if others is None or series.unit is main else others
        column = first_value + offset
        values = Reference(sheet, min_col=column, max_col=column, min_row=1, max_row=rows + 1)
        plot.add_data(values, titles_from_data=True)
    plots = [drawn] if others is None else [drawn, others]
    labels = Reference(sheet, min_col=first_value - 1, min_row=2, max_row=rows + 1)
    for plot in plots:
        for series in plot.series:  # labels are text: a string reference, as Excel writes it
            series.cat = AxDataSource(strRef=StrRef(f=str(labels)))
        if isinstance(plot, LineChart):  # straight between the points: a curve would show
            for series in plot.series:  # values no bucket has (below zero, past a peak)
                series.smooth = False
    metrics = ", ".join(_words(s.metric.value).lower() for s in report.series)
    drawn.title = f"{sheet.title}: {metrics} by {_words(report.dimension.value).lower()}"
    if chart not in ONE_SERIES:
        # Shown: without an explicit "not deleted", recent Excel hides openpyxl's axes.
        drawn.x_axis.delete = drawn.y_axis.delete = False
        drawn.x_axis.title = _words(report.dimension.value)
        drawn.y_axis.title = main.value
    if others is not None:
        others.x_axis = drawn.x_axis  # the same categories
        others.y_axis.axId = 200  # its own value axis, crossing the categories at the right
        others.y_axis.crosses = "max"
        others.y_axis.delete = False
        others.y_axis.title = " / ".join(dict.fromkeys(u.value for u in units if u is not main))
        drawn += others
    if chart is Chart.BAR:  # the first row (a leaderboard's top) at the top
        drawn.x_axis.scaling.orientation = "maxMin"
    drawn.width, drawn.height = 24, 12
    return drawn


def _about(workbook: Workbook, request: ReportRequest, report: Report, chart: Chart) -> None:
    about = workbook.create_sheet("About")
    narrowing = request.filters
    for name, value in (
        ("Report", REPORT_TITLES[request.kind]),
        ("Rows", _words(report.dimension.value)),
        ("From", request.first.isoformat() if request.first else "all time"),
        ("To", request.last.isoformat() if request.last else "all time"),
        ("Time zone", report.timezone),
        ("Person id", narrowing.user_id),
        ("Department id", narrowing.department_id),
        ("Deal type id", narrowing.deal_type_id),
        ("Chart", _words(chart.value) if report.keys else "None: the report has no rows."),
        ("Scope", "The records of the people in the data scope of whoever exported it."),
    ):
        about.append([name, cell(value)])
