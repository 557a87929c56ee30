from __future__ import annotations

from typing import Annotated

import strawberry
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from strawberry.file_uploads import Upload

from gql_crm.auth.principal import Principal
from gql_crm.context import Info
from gql_crm.db.models.document import DocumentSpace
from gql_crm.resolvers.attachment import serve_download, stored_file_response
from gql_crm.resolvers.common import mutate
from gql_crm.resolvers.kit import connection, default, mutation, outcome
from gql_crm.schema import document as schema
from gql_crm.schema.common import DeleteSuccess, error_from, requires
from gql_crm.schema.constraints import constraint
from gql_crm.services import document as service
from gql_crm.services.document import CREATE, DELETE, EDIT, VIEW
from gql_crm.services.errors import InvalidInput
from gql_crm.services.unit_of_work import Services

Folder = schema.DocumentFolderSuccess
Document = schema.DocumentSuccess
Share = schema.DocumentShareSuccess
FileName = Annotated[
    str,
    strawberry.argument(
        description="The new name, as shown and offered on download (no directories).",
        metadata=constraint(max_length=255, single_line=True, required=True),
    ),
]
SPACE = "PRIVATE (default): your own documents; PUBLIC: the company's."
Space = default(
    Annotated[DocumentSpace, strawberry.argument(description=SPACE)],
    DocumentSpace.PRIVATE,
)
TopOf = Annotated[
    DocumentSpace | None,
    strawberry.argument(description="Without the parent: the top of this space."),
]
Search = Annotated[
    str | None, strawberry.argument(description="Part of the name, in any letter case.")
]


@strawberry.type
class DocumentQuery:
    document_folders = connection(
        service.folders, schema.DocumentFolderType, service.FOLDER_ORDER, needs=VIEW,
        parent_id=int | None, space=TopOf,
        description="The folders in parentId; without it, the top folders of a space (PRIVATE: "
        "yours, PUBLIC: the company's), or with neither, the folders others shared with you. "
        "By name.",
    )  # fmt: skip
    documents = connection(
        service.documents, schema.DocumentType, service.DOCUMENT_ORDER, needs=VIEW,
        folder_id=int | None, space=TopOf, search=Search,
        description="The documents in folderId; without it, those at the top of your own "
        "space (or of the public one). With search: every document you may read whose name "
        "contains it (within folderId when given). By name.",
    )  # fmt: skip
    document_folder_recycle_bin = connection(
        service.folder_bin, schema.DocumentFolderType, service.FOLDER_BIN_ORDER, needs=DELETE,
        description="Folders you deleted, with what was in them: restore or purge them.",
    )  # fmt: skip
    document_recycle_bin = connection(
        service.document_bin, schema.DocumentType,
        service.DOCUMENT_BIN_ORDER, needs=DELETE,
        description="Documents you deleted on their own: restore or purge them.",
    )  # fmt: skip

    @strawberry.field(
        extensions=[requires(VIEW)], description="What your uploads take of your quota."
    )
    async def document_usage(self, info: Info) -> schema.DocumentUsage:
        principal = info.context.require_principal()
        used, quota, largest = await service.usage(info.context.services, principal)
        return schema.DocumentUsage(used_bytes=used, quota_bytes=quota, max_file_bytes=largest)


@strawberry.type
class DocumentMutation:
    create_document_folder = mutation(
        service.create_folder, Folder, needs=CREATE, input=schema.DocumentFolderInput,
        parent_id=int | None, space=Space,
        description="A folder in parentId (which you may change), or at the top of a space "
        "(PUBLIC needs document:manage_public).",
    )  # fmt: skip
    rename_document_folder = mutation(
        service.rename_folder, Folder, needs=EDIT, id=int, input=schema.DocumentFolderInput,
        description="Rename a folder you may change.",
    )  # fmt: skip
    move_document_folder = mutation(
        service.move_folder, Folder, needs=EDIT, id=int, parent_id=int | None,
        description="Into another folder of the same space (null: to its top), with all in it.",
    )  # fmt: skip
    delete_document_folder = mutation(
        service.delete_folder, DeleteSuccess, needs=DELETE, id=int,
        recursive=default(
            Annotated[bool, strawberry.argument(description="Delete what is in it too.")], False
        ),
        description="Into your recycle bin. A folder that is not empty is refused unless "
        "recursive is true; then everything in it goes along.",
    )  # fmt: skip
    restore_document_folder = mutation(
        service.restore_folder, Folder, needs=DELETE, id=int,
        description="Back from your recycle bin, with what was deleted with it.",
    )  # fmt: skip
    purge_document_folder = mutation(
        service.purge_folder, DeleteSuccess, needs=DELETE, id=int,
        description="For good, with everything in it and their files.",
    )  # fmt: skip
    share_document_folder = mutation(
        service.share_folder, Share, needs=EDIT, folder_id=int, user_id=int | None,
        department_id=int | None,
        can_write=default(
            Annotated[bool, strawberry.argument(description="May also change (else read).")],
            False,
        ),
        description="Share a private folder (and all in it) with a colleague or a department, "
        "to read or, with canWrite, to change. Sharing again with the same one updates canWrite.",
    )  # fmt: skip
    unshare_document_folder = mutation(
        service.unshare_folder, DeleteSuccess, needs=EDIT, id=int,
        description="End a share (by the share's id).",
    )  # fmt: skip
    rename_document = mutation(
        service.rename_document, Document, needs=EDIT, id=int, file_name=FileName,
        description="Rename a document you may change.",
    )  # fmt: skip
    move_document = mutation(
        service.move_document, Document, needs=EDIT, id=int, folder_id=int | None,
        description="Into another folder of the same space (null: to its top).",
    )  # fmt: skip
    delete_document = mutation(
        service.delete_document, DeleteSuccess, needs=DELETE, id=int,
        description="Into your recycle bin.",
    )  # fmt: skip
    restore_document = mutation(
        service.restore_document, Document, needs=DELETE, id=int,
        description="Back from your recycle bin (its folder must not be in one).",
    )  # fmt: skip
    purge_document = mutation(
        service.purge_document, DeleteSuccess, needs=DELETE, id=int,
        description="For good; its file goes too.",
    )  # fmt: skip

    @strawberry.mutation(
        extensions=[requires(CREATE)],
        description="Store a file in folderId (a folder you may change) or at the top of a "
        "space. Send it as a GraphQL multipart request with an `Apollo-Require-Preflight: "
        "true` header. Refused over the size limit or your quota, for types not on the "
        "allow-list, and when the content contradicts the declared type.",
    )
    async def upload_document(
        self,
        info: Info,
        file: Annotated[Upload, strawberry.argument(description="The file's part.")],
        folder_id: int | None = None,
        space: Annotated[
            DocumentSpace, strawberry.argument(description=SPACE)
        ] = DocumentSpace.PRIVATE,
    ) -> outcome(Document):  # type: ignore[valid-type]
        if not isinstance(file, UploadFile):
            problem = InvalidInput.single("file", "send the file as a part of a multipart request")
            return error_from(problem)
        return await mutate(
            info,
            lambda uow: service.upload_document(uow, file, folder_id, space),
            lambda row: Document(document=schema.DocumentType.from_model(row)),
        )


async def download_document(request: Request) -> Response:
    """GET /documents/{id}: the file, for a caller who may read it; 404 otherwise."""

    async def find(services: Services, principal: Principal, id: int) -> Response | None:
        found = await service.downloadable(services, principal, id)
        if found is None:
            return None
        document, opened = found
        return stored_file_response(opened, document.file_name, document.content_type)

    return await serve_download(request, find)
