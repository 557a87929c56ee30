from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any

import strawberry

from gql_crm.db.models import User
from gql_crm.db.models.job import Job, JobKind, JobState
from gql_crm.schema.kit import ModelType, related
from gql_crm.schema.user import UserType
from gql_crm.services.exports import EXPORTERS
from gql_crm.services.imports import IMPORTERS

JobKindEnum = strawberry.enum(
    JobKind, name="JobKind", description="Whether a job reads a workbook in or writes one out."
)
JobStateEnum = strawberry.enum(
    JobState,
    name="JobState",
    description="QUEUED, then RUNNING, then SUCCEEDED, FAILED (see `message` and `problems`) "
    "or CANCELLED.",
)


def _registry_enum(name: str, entries: dict[str, str], description: str) -> Any:
    members = {
        kind.upper(): strawberry.enum_value(kind, description=text)
        for kind, text in entries.items()
    }
    registry: Any = enum.Enum(name, members)  # type: ignore[misc]
    return strawberry.enum(registry, name=name, description=description)


ExportKindEnum = _registry_enum(
    "ExportKind",
    {kind: e.description for kind, e in EXPORTERS.items()},
    "What an export writes; each needs its module's export permission.",
)
ImportKindEnum = _registry_enum(
    "ImportKind",
    {kind: i.description for kind, i in IMPORTERS.items()},
    "What an import reads; each needs its module's import permission.",
)


def result_path(job_id: int) -> str:
    return f"/jobs/{job_id}/result"


@strawberry.type(
    name="JobProblem",
    description="One bad cell (or row) of an imported workbook, as the marked copy shows it.",
)
class JobProblemType:
    row: int = strawberry.field(description="The row number in the sheet (the header is 1).")
    column: str | None = strawberry.field(description="The column's header; null: the row.")
    value: str | None = strawberry.field(description="The cell's value, as text.")
    reason: str = strawberry.field(description="What is wrong with it.")


@strawberry.type(
    name="Job",
    description="An import or export running in the background. Only its owner and "
    "administrators see it and its files; fetch a file with GET `resultUrl` and the same "
    "`Authorization: Bearer` token as for /graphql.",
)
class JobType(ModelType, model=Job, fields="created_at owner_id"):
    id: int
    kind: JobKindEnum = strawberry.field(description="Import or export.")  # type: ignore[valid-type]
    subject: str = strawberry.field(
        description="What it imports or exports: an `ImportKind` or `ExportKind`, in lower "
        "case, or `report` for a statistics report (`startReportExport`)."
    )
    state: JobStateEnum = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    dry_run: bool = strawberry.field(description="An import that only checks, writing nothing.")
    rows_done: int = strawberry.field(description="Rows read or written so far.")
    rows_total: int | None = strawberry.field(description="All rows, once known.")
    problem_count: int = strawberry.field(description="Bad cells and rows of an import.")
    message: str | None = strawberry.field(description="How it ended, in a sentence.")
    started_at: datetime | None = strawberry.field(description="When a worker took it up.")
    finished_at: datetime | None = strawberry.field(description="When it ended.")
    expires_at: datetime | None = strawberry.field(
        description="When its files are removed (null while it runs)."
    )
    result_name: str | None = strawberry.field(description="The file's name, to save it as.")
    _model: strawberry.Private[Job]
    owner = related(UserType, "owner_id", User, description="Who started it.")

    @strawberry.field(
        description="Where to download the exported workbook or, for a refused import, the "
        "copy of yours with the bad cells marked and a reason column (null until there is "
        "one, and after `expiresAt`)."
    )
    def result_url(self) -> str | None:
        return result_path(self.id) if self._model.result_key else None

    @strawberry.field(description="Bad cells and rows of a refused import, in sheet order.")
    def problems(
        self,
        first: Annotated[int, strawberry.argument(description="At most this many (1000).")] = 100,
        offset: Annotated[int, strawberry.argument(description="Skip this many first.")] = 0,
    ) -> list[JobProblemType]:
        first = max(0, min(first, 1000))
        chosen = (self._model.problems or [])[max(0, offset) : max(0, offset) + first]
        return [
            JobProblemType(row=p["row"], column=p["column"], value=p["value"], reason=p["reason"])
            for p in chosen
        ]


@strawberry.type(
    name="JobProgress",
    description="Where a job stands: pushed live while it runs (read `job` after a reconnect).",
)
class JobProgressType:
    job_id: int
    state: JobStateEnum = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    rows_done: int = strawberry.field(description="Rows read or written so far.")
    rows_total: int | None = strawberry.field(description="All rows, once known.")
    problem_count: int = strawberry.field(description="Bad cells and rows found so far.")

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> JobProgressType:
        return cls(
            job_id=payload["jobId"],
            state=JobState(payload["state"]),
            rows_done=payload["rowsDone"],
            rows_total=payload["rowsTotal"],
            problem_count=payload["problemCount"],
        )


@strawberry.type(
    name="ImportTemplate",
    description="An empty workbook to fill in and import: its columns follow the entry-form "
    "settings (shown fields only, required ones marked *), with a notes row and drop-down "
    "lists for option fields. GET `downloadUrl` with the same `Authorization: Bearer` token "
    "as for /graphql.",
)
class ImportTemplateType:
    kind: str = strawberry.field(description="The template's name in its URL.")
    title: str = strawberry.field(description="What it is called.")
    description: str = strawberry.field(description="What it holds.")
    download_url: str = strawberry.field(description="Path of the download on this server.")


@strawberry.type
class JobSuccess:
    job: JobType = strawberry.field(description="The job, as it stands now.")


def job_node(job: Job) -> JobType:
    return JobType.from_model(job)
