from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote

import strawberry
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from strawberry.file_uploads import Upload

from gql_crm.auth.principal import Principal
from gql_crm.auth.tokens import bearer_token
from gql_crm.context import Info
from gql_crm.db.models import Attachment, AttachmentRecordType
from gql_crm.resolvers.common import mutate
from gql_crm.schema.attachment import (
    AttachmentRecordTypeEnum,
    AttachmentSuccess,
    AttachmentType,
)
from gql_crm.schema.common import (
    ConflictError,
    DeleteSuccess,
    InvalidInputError,
    NotFoundError,
    deleted,
    error_from,
)
from gql_crm.schema.constraints import MAX_ID
from gql_crm.services import attachment as service
from gql_crm.services.auth import authenticate
from gql_crm.services.errors import InvalidInput
from gql_crm.services.unit_of_work import Services
from gql_crm.storage import StoredFile
from gql_crm.web.rate_limits import rate_limits_of

AttachmentResult = Annotated[
    AttachmentSuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("AttachmentResult"),
]
DeleteAttachmentResult = Annotated[
    DeleteSuccess | NotFoundError | ConflictError, strawberry.union("DeleteAttachmentResult")
]


def _success(attachment: Attachment) -> AttachmentSuccess:
    return AttachmentSuccess(attachment=AttachmentType.from_model(attachment))


@strawberry.type
class AttachmentMutation:
    @strawberry.mutation(
        description="Attach a file to an order or customer you may change (order:edit or "
        "customer:edit). Send it as a GraphQL multipart request with an "
        "`Apollo-Require-Preflight: true` header. Refused over the size limit, for types not "
        "on the allow-list, and when the content contradicts the declared type."
    )
    async def upload_attachment(
        self,
        info: Info,
        record_type: AttachmentRecordTypeEnum,  # type: ignore[valid-type]
        record_id: int,
        file: Annotated[
            Upload, strawberry.argument(description="The file, as a GraphQL multipart upload.")
        ],
    ) -> AttachmentResult:
        if not isinstance(file, UploadFile):
            problem = InvalidInput.single("file", "send the file as a part of a multipart request")
            return error_from(problem)  # type: ignore[return-value]
        kind = AttachmentRecordType(record_type)
        return await mutate(
            info, lambda uow: service.upload_attachment(uow, kind, record_id, file), _success
        )

    @strawberry.mutation(
        description="Hide an attachment everywhere; needs the right to change its record."
    )
    async def delete_attachment(self, info: Info, id: int) -> DeleteAttachmentResult:
        return await mutate(
            info, lambda uow: service.delete_attachment(uow, id), lambda a: deleted(a.id)
        )


def content_disposition(file_name: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact name per RFC 6266 / 5987."""
    fallback = "".join(
        ch if " " <= ch <= "~" and ch not in '"\\;' else "_" for ch in file_name
    ).strip()
    exact = quote(file_name, safe="")
    return f"attachment; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{exact}"


async def download_attachment(request: Request) -> Response:
    """GET /attachments/{id}: the file, for a caller who may see its record; 404 otherwise
    (never 403, which would tell that it exists)."""

    async def find(services: Services, principal: Principal, id: int) -> Response | None:
        found = await service.downloadable(services, principal, id)
        if found is None:
            return None
        attachment, opened = found
        return stored_file_response(opened, attachment.file_name, attachment.content_type)

    return await serve_download(request, find)


async def serve_download(
    request: Request,
    find: Callable[[Services, Principal, int], Awaitable[Response | None]],
) -> Response:
    """A download by id for a signed-in caller: what ``find`` answers, or 404 for a record
    that does not exist or that the caller may not see (never 403, which would tell that it
    exists)."""
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
    id: int = request.path_params["id"]
    response = await find(services, principal, id) if 0 < id <= MAX_ID else None
    return response or PlainTextResponse("Not Found", status_code=404)


def stored_file_response(opened: StoredFile, file_name: str, content_type: str) -> Response:
    """A stored file streamed to the client as a download that no browser renders."""
    return StreamingResponse(
        opened.chunks,
        media_type=content_type,
        headers={
            "Content-Length": str(opened.size),
            "Content-Disposition": content_disposition(file_name),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )
