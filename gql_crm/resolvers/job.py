from __future__ import annotations

from typing import Annotated

import strawberry
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from strawberry.file_uploads import Upload

from gql_crm.auth.tokens import bearer_token
from gql_crm.context import Info
from gql_crm.db.models.job import Job
from gql_crm.db.pagination import SortKey
from gql_crm.resolvers.attachment import content_disposition
from gql_crm.resolvers.common import mutate
from gql_crm.resolvers.kit import connection
from gql_crm.schema.common import ConflictError, InvalidInputError, NotFoundError, error_from
from gql_crm.schema.constraints import MAX_ID
from gql_crm.schema.customer import CustomerFilterInput
from gql_crm.schema.job import (
    ExportKindEnum,
    ImportKindEnum,
    ImportTemplateType,
    JobKindEnum,
    JobSuccess,
    JobType,
)
from gql_crm.schema.kit import values_of
from gql_crm.services import exports, imports
from gql_crm.services import job as service
from gql_crm.services.auth import authenticate
from gql_crm.services.errors import InvalidInput
from gql_crm.services.templates import TEMPLATES, template_path, template_workbook
from gql_crm.services.unit_of_work import Services
from gql_crm.services.workbook import XLSX_TYPE
from gql_crm.web.rate_limits import rate_limits_of

JOB_ORDER = (SortKey(Job.created_at, True), SortKey(Job.id, True))

StartJobResult = Annotated[JobSuccess | InvalidInputError, strawberry.union("StartJobResult")]
CancelJobResult = Annotated[
    JobSuccess | NotFoundError | ConflictError, strawberry.union("CancelJobResult")
]


def _success(job: Job) -> JobSuccess:
    return JobSuccess(job=JobType.from_model(job))


@strawberry.type
class JobQuery:
    @strawberry.field(
        description="An import or export of yours (administrators: anyone's); null otherwise. "
        "Read it after a reconnect to catch up with `jobProgress`."
    )
    async def job(self, info: Info, id: int) -> JobType | None:
        found = await service.get(info.context.services, info.context.require_principal(), id)
        return JobType.from_model(found) if found else None

    @strawberry.field(description="The import templates and where to download them.")
    def import_templates(self, info: Info) -> list[ImportTemplateType]:
        info.context.require_principal()
        return [
            ImportTemplateType(
                kind=kind,
                title=t.title,
                description=t.description,
                download_url=template_path(kind),
            )
            for kind, t in TEMPLATES.items()
        ]

    jobs = connection(
        service.jobs_query, JobType, JOB_ORDER,
        kind=Annotated[
            JobKindEnum | None, strawberry.argument(description="Imports or exports only.")
        ],
        description="Your imports and exports (administrators: everyone's), newest first.",
    )  # fmt: skip


@strawberry.type
class JobMutation:
    @strawberry.mutation(
        description="Export a sheet in the background: follow it with `jobProgress`, then "
        "download `resultUrl`. Needs the export permission of what is exported; customers "
        "are those of `customerFilter` (a list view and filters, as `customers` takes them), "
        "always within what you may see and with phones and e-mails masked as on screen."
    )
    async def start_export(
        self,
        info: Info,
        kind: Annotated[ExportKindEnum, strawberry.argument(description="What to export.")],
        customer_filter: Annotated[
            CustomerFilterInput | None,
            strawberry.argument(description="Customers only: which (default: all you see)."),
        ] = None,
    ) -> StartJobResult:
        subject = str(kind.value)
        parameters = {}
        if customer_filter is not None:
            parameters["filter"] = {
                k: (v.value if hasattr(v, "value") else v)
                for k, v in values_of(customer_filter).items()
            }
        return await mutate(
            info, lambda uow: exports.start_export(uow, subject, parameters), _success
        )

    @strawberry.mutation(
        description="Import a workbook (a filled template, or an export of this server) in "
        "the background. Send it as a GraphQL multipart request with an "
        "`Apollo-Require-Preflight: true` header. With `dryRun` (the default) it is only "
        "checked; otherwise it is written whole in one transaction if every row is valid, "
        "and nothing is written if any is not. Bad rows come back as the job's `problems` "
        "and as a marked copy of the workbook at `resultUrl`. Needs the import permission."
    )
    async def start_import(
        self,
        info: Info,
        kind: Annotated[ImportKindEnum, strawberry.argument(description="What the file holds.")],
        file: Annotated[Upload, strawberry.argument(description="The .xlsx workbook.")],
        dry_run: Annotated[
            bool, strawberry.argument(description="Only check the file; write nothing.")
        ] = True,
    ) -> StartJobResult:
        if not isinstance(file, UploadFile):
            problem = InvalidInput.single("file", "send the file as a part of a multipart request")
            return error_from(problem)  # type: ignore[return-value]
        subject = str(kind.value)
        return await mutate(
            info, lambda uow: imports.start_import(uow, subject, file, dry_run), _success
        )

    @strawberry.mutation(
        description="Cancel a queued or running job: an import writes nothing, an export "
        "keeps no file."
    )
    async def cancel_job(self, info: Info, id: int) -> CancelJobResult:
        return await mutate(info, lambda uow: service.cancel(uow, id), _success)


# ---- downloads -----------------------------------------------------------------------------

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
}


async def _caller(request: Request) -> tuple[Services, object] | Response:
    services: Services = request.app.state.services
    token = bearer_token(request.headers.get("authorization"))
    principal = await authenticate(services, token) if token else None
    if principal is None:
        return PlainTextResponse(
            "Sign in first: send a valid bearer token.",
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    await rate_limits_of(request).check(principal)
    return services, principal


async def download_job_file(request: Request) -> Response:
    """GET /jobs/{id}/result: the job's workbook, for its owner or an administrator, until
    it expires; 404 otherwise (never 403, which would tell that it exists)."""
    caller = await _caller(request)
    if isinstance(caller, Response):
        return caller
    services, principal = caller
    job_id: int = request.path_params["id"]
    found = (
        await service.downloadable(services, principal, job_id)  # type: ignore[arg-type]
        if 0 < job_id <= MAX_ID
        else None
    )
    if found is None:
        return PlainTextResponse("Not Found", status_code=404)
    path, name = found
    return FileResponse(
        path,
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": content_disposition(name), **_HEADERS},
    )


async def download_template(request: Request) -> Response:
    """GET /templates/{kind}.xlsx: an empty import template following the form settings."""
    caller = await _caller(request)
    if isinstance(caller, Response):
        return caller
    services, _ = caller
    kind: str = request.path_params["kind"]
    if kind not in TEMPLATES:
        return PlainTextResponse("Not Found", status_code=404)
    content = await template_workbook(services, kind)
    return Response(
        content,
        media_type=XLSX_TYPE,
        headers={
            "Content-Disposition": content_disposition(f"{TEMPLATES[kind].title}.xlsx"),
            **_HEADERS,
        },
    )
