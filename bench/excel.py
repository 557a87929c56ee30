"""Excel import and export jobs on PostgreSQL (F11): rows per second end to end, and the
peak memory of the process running the job.

    .venv/bin/python -m bench.excel --rows 100000 [--database-url URL]

Rebuilds the benchmark database (drop, migrate, defaults, the demo organisation), writes a
sheet of N customers with one contact each (not timed), then, each in a fresh process so
that its peak memory is the job's own:

- import: from the upload (the file staged as a multipart upload would be) to the job's
  commit, customers and contacts written in one transaction;
- refusal: the same sheet with one bad cell in the middle row, refused whole: the time until
  the job ends failed with its problems, and until the marked copy that follows is written;
- export: the N customers just imported (one row each) into a workbook file;
- the largest sheet: 1,048,576 rows (Excel's most), one column, imported: accepted or
  refused with the limit it passes, the worker's peak memory beside it;
- the writers' own rates: N rows of the export's shape, values ready, without the
  database, written by the exports' writer and by openpyxl's write-only mode.

Odoo's published import rate (PR #80526: 30,000 products in 236 s) is printed beside ours.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select

from bench.jobs import DATABASE_URL, fresh_schema, services_for
from gql_crm.auth.passwords import hash_password
from gql_crm.clock import SystemClock
from gql_crm.db.engine import Database
from gql_crm.db.models import Contact, Customer, User
from gql_crm.db.models.job import Job
from gql_crm.db.scopes import load_principal
from gql_crm.seed.demo import seed_organisation
from gql_crm.services import exports, imports
from gql_crm.services.errors import InvalidInput
from gql_crm.services.unit_of_work import Services, UnitOfWork
from gql_crm.services.workbook import write_table
from gql_crm.settings import Settings

ODOO_ROWS_PER_SECOND = 30_000 / 236  # odoo/odoo PR #80526, about 127 rows/s
HEADER = ["Name", "City", "Contact name", "Contact mobile", "Contact email"]


def _shaped_rows(rows: int) -> Iterator[list[Any]]:
    """The customers export's sheet shape on the benchmark's data: 22 columns, 8 filled."""
    created = datetime(2026, 12, 7, 1, 0)
    for i in range(rows):
        yield [
            f"Customer {i:07d}", "enterprise", None, None, None, None, None, None, None,
            "Hangzhou", None, None, None, f"Person {i}", None, f"139{i:08d}", None,
            f"p{i}@example.com", None, "public", None, created,
        ]  # fmt: skip


def ceilings(rows: int, directory: Path) -> dict[str, dict[str, Any]]:
    """What an export of this shape cannot beat, values ready and no database: written by
    the exports' writer (``write_table``), and by openpyxl's write-only mode beside it."""

    def timed(write: Callable[[], None]) -> dict[str, Any]:
        started, cpu = time.perf_counter(), time.process_time()
        write()
        seconds = time.perf_counter() - started
        return {"rows": rows, "seconds": seconds, "cpu": time.process_time() - cpu}

    def with_openpyxl() -> None:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Customers")
        for row in _shaped_rows(rows):
            sheet.append(row)
        book.save(directory / "openpyxl.xlsx")

    headers = [f"Column {i}" for i in range(22)]
    return {
        "write_table": timed(
            lambda: write_table(directory / "table.xlsx", "Customers", headers, _shaped_rows(rows))
        ),
        "openpyxl": timed(with_openpyxl),
    }


def settings_for(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key="benchmark-secret-key-that-is-long-enough",
        scheduler=False,
        jobs_in_process=True,  # the import limits are the defaults, as in production
    )


def write_sheet(path: Path, rows: int, bad_row: int | None = None) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Customers")
    sheet.append(HEADER)
    for i in range(rows):
        mobile = "not a phone" if i == bad_row else f"139{i:08d}"
        sheet.append([f"Customer {i:07d}", "Hangzhou", f"Person {i}", mobile, f"p{i}@example.com"])
    book.save(path)


EXCEL_ROWS = 1_048_576  # the most rows an Excel sheet has


def write_largest_sheet(path: Path) -> None:
    """A sheet as long as Excel allows (a header and 1,048,575 customers named), narrow
    enough to pass the upload's byte limit, so that the rows are what the import refuses."""
    names = ([f"Customer {i:07d}"] for i in range(EXCEL_ROWS - 1))
    write_table(path, "Customers", ["Name"], names)


class FileUpload:
    """An upload read from a file, as Starlette hands one to the mutation."""

    def __init__(self, path: Path) -> None:
        self.filename: str | None = path.name
        self._file = path.open("rb")

    @property
    def content_type(self) -> str:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    async def read(self, size: int = -1) -> bytes:
        return self._file.read(size)


async def _admin(services: Services) -> Any:
    async with services.database.reader() as session:
        user = await session.scalar(select(User).where(User.login_name == "admin"))
        assert user is not None
        return await load_principal(session, user.id, user.token_version)


async def _run(services: Services, start: Any) -> tuple[Job, float, float]:
    """The job once done, the seconds until it ended (its verdict) and until its handler
    returned (a refused import's marked copy written too)."""
    principal = await _admin(services)
    started, at = time.perf_counter(), datetime.now(UTC)
    async with UnitOfWork(services, principal) as uow:
        job = await start(uow)
    await services.jobs.join(job.id)
    elapsed = time.perf_counter() - started
    async with services.database.reader() as session:
        done = await session.get(Job, job.id)
    assert done is not None and done.finished_at is not None
    return done, (done.finished_at - at).total_seconds(), elapsed


async def child(step: str, path: Path, database_url: str, data_dir: Path) -> dict[str, Any]:
    if step == "ceiling":
        return ceilings(int(path.name), data_dir)
    settings = settings_for(database_url, data_dir)
    database = Database(settings)
    services = await services_for(settings, database, SystemClock())
    try:
        if step == "export":
            job, ended, elapsed = await _run(
                services, lambda uow: exports.start_export(uow, "customers", {})
            )
        else:
            upload = FileUpload(path)
            try:
                job, ended, elapsed = await _run(
                    services,
                    lambda uow: imports.start_import(uow, "enterprise_customers", upload, False),
                )
            except InvalidInput as refused:  # at the upload: too large, not a workbook
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                return {"state": "refused at upload", "message": str(refused), "peak_mb": peak}
        async with database.reader() as session:
            customers = await session.scalar(select(func.count()).select_from(Customer))
            contacts = await session.scalar(select(func.count()).select_from(Contact))
        return {
            "state": str(job.state),
            "rows": job.rows_done,
            "seconds": elapsed,
            "ended": ended,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "message": job.message,
            "first_problem": (job.problems or [None])[0],
            "customers": customers,
            "contacts": contacts,
        }
    finally:
        await services.bus.disconnect()
        await database.dispose()


def run_child(step: str, path: Path, database_url: str, data_dir: Path) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.excel", "--child", step, str(path),
         "--database-url", database_url, "--data-dir", str(data_dir)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    for line in output.stderr.splitlines():  # the job's own account of its phases
        if "gql_crm.jobs" in line:
            print(f"  {line.split('gql_crm.jobs', 1)[1].strip(' :')}", flush=True)
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


async def prepare(database_url: str, data_dir: Path) -> None:
    settings = settings_for(database_url, data_dir)
    database = await fresh_schema(settings)
    async with database.writer() as session, session.begin():
        await seed_organisation(
            session, password_hash=hash_password("bench-password"), now=SystemClock().now()
        )
    await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="customers to import")
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--child", nargs=2, metavar=("STEP", "FILE"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
        step, file = arguments.child
        result = asyncio.run(child(step, Path(file), arguments.database_url, arguments.data_dir))
        print(json.dumps(result, default=str))
        return

    rows = arguments.rows
    with tempfile.TemporaryDirectory(prefix="gqlcrm-excel-") as temporary:
        data_dir = Path(temporary)
        good, bad = data_dir / "customers.xlsx", data_dir / "one-bad-row.xlsx"
        print(f"writing sheets of {rows} customers (not timed)...", flush=True)
        write_sheet(good, rows)
        write_sheet(bad, rows, bad_row=rows // 2)
        print(f"  {good.stat().st_size / 1e6:.1f} MB each", flush=True)

        url = arguments.database_url
        loads = [os.getloadavg()[0]]
        asyncio.run(prepare(url, data_dir))
        refused = run_child("import", bad, url, data_dir)
        imported = run_child("import", good, url, data_dir)
        exported = run_child("export", good, url, data_dir)
        largest = data_dir / "largest.xlsx"
        write_largest_sheet(largest)
        largest_size = largest.stat().st_size
        longest = run_child("import", largest, url, data_dir)
        ceiling = run_child("ceiling", Path(str(rows)), url, data_dir)
        loads.append(os.getloadavg()[0])

    def rate(result: dict[str, Any]) -> float:
        return float(result["rows"]) / float(result["seconds"])

    print()
    print(f"import {rows} customers with one contact each, PostgreSQL, upload to commit:")
    print(
        f"  {imported['state']}: {imported['seconds']:.1f} s, {rate(imported):,.0f} rows/s, "
        f"peak memory {imported['peak_mb']:.0f} MB; {imported['customers']} customers, "
        f"{imported['contacts']} contacts in the database"
    )
    print(f"  Odoo (published, PR #80526): {ODOO_ROWS_PER_SECOND:,.0f} rows/s")
    print(
        f"one bad row in {rows}: {refused['state']} with every problem in {refused['ended']:.1f} s"
        f" (upload to verdict), the marked copy ready at {refused['seconds']:.1f} s"
    )
    print(f"  {refused['first_problem']}")
    print(
        f"a sheet of {EXCEL_ROWS:,} rows ({largest_size / 1e6:.1f} MB): {longest['state']} in "
        f"{longest.get('ended', 0):.1f} s, peak memory {longest['peak_mb']:.0f} MB: "
        f"{longest['message']}"
    )
    print(f"export {exported['rows']} customers:")
    print(
        f"  {exported['state']}: {exported['seconds']:.1f} s, {rate(exported):,.0f} rows/s, "
        f"peak memory {exported['peak_mb']:.0f} MB"
    )
    print("  the same sheet's shape with values ready, no database:")
    print(f"    the exports' writer: {rate(ceiling['write_table']):,.0f} rows/s")
    print(f"    openpyxl, write-only: {rate(ceiling['openpyxl']):,.0f} rows/s")
    print(f"load average (1 min) {loads[0]:.1f} before, {loads[1]:.1f} after")


if __name__ == "__main__":
    main()
