from __future__ import annotations

import strawberry

from gql_crm.context import Info
from gql_crm.db import visibility
from gql_crm.db.models import Department, User
from gql_crm.db.models.document import Document, DocumentFolder, DocumentShare, DocumentSpace
from gql_crm.db.pagination import SortKey
from gql_crm.loaders.batch import Children, scoped_children
from gql_crm.loaders.document import (
    load_changeable_documents,
    load_changeable_folders,
    load_visible_folders,
)
from gql_crm.schema.constraints import column_limits
from gql_crm.schema.department import DepartmentType
from gql_crm.schema.kit import ModelInput, ModelType, related
from gql_crm.schema.user import UserType

DocumentSpaceEnum = strawberry.enum(
    DocumentSpace, name="DocumentSpace", description="Whose documents a folder or file is among."
)
shares_of_folder = scoped_children(
    Children(DocumentShare.folder_id, [SortKey(DocumentShare.id)], rule=visibility.document_share)
)


def download_path(document_id: int) -> str:
    return f"/documents/{document_id}"


@strawberry.type(
    name="DocumentFolder",
    description="A folder of documents. Its shares reach every folder and document beneath it.",
)
class DocumentFolderType(
    ModelType,
    model=DocumentFolder,
    fields="id name space parent_id owner_id created_at updated_at deleted_at",
):
    id: int
    name: str = strawberry.field(description="The folder's name.")
    space: DocumentSpaceEnum = strawberry.field(  # type: ignore[valid-type]
        description="The space it belongs to, as everything beneath it."
    )
    owner = related(UserType, "owner_id", User, description="Whose documents these are.")
    parent = related(
        "DocumentFolderType", "parent_id", load_visible_folders, scoped=True, module=__name__,
        description="The folder it is in, if you may open it.",
    )  # fmt: skip
    shares = related(
        "DocumentShareType", "id", shares_of_folder, many=True, scoped=True, module=__name__,
        description="Who it is shared with; listed to those who may change the folder.",
    )  # fmt: skip

    @strawberry.field(
        description="Whether you may change it: add to it, rename, move, delete or share it."
    )
    async def can_change(self, info: Info) -> bool:
        return await info.context.loaders.scoped(load_changeable_folders).load(self.id)


@strawberry.type(
    name="Document",
    description="A stored file. Fetch its bytes with GET `downloadUrl` and the same "
    "`Authorization: Bearer` token as for /graphql.",
)
class DocumentType(
    ModelType,
    model=Document,
    fields="id file_name content_type size sha256 space folder_id owner_id created_by_id "
    "created_at updated_at deleted_at",
):
    id: int
    file_name: str = strawberry.field(description="As uploaded or renamed, without directories.")
    content_type: str = strawberry.field(description="The media type, checked on upload.")
    size: int = strawberry.field(description="In bytes.")
    sha256: str = strawberry.field(description="Hex SHA-256 of the content.")
    space: DocumentSpaceEnum = strawberry.field(  # type: ignore[valid-type]
        description="The space it belongs to, as its folder."
    )
    owner = related(UserType, "owner_id", User, description="Whose documents it is among.")
    uploaded_by = related(
        UserType, "created_by_id", User, description="Who uploaded it (their quota counts it)."
    )
    folder = related(
        DocumentFolderType, "folder_id", load_visible_folders, scoped=True,
        description="The folder it is in (null: the top of its space).",
    )  # fmt: skip

    @strawberry.field(description="Path of the download, relative to this server.")
    def download_url(self) -> str:
        return download_path(self.id)

    @strawberry.field(description="Whether you may change it: rename, move or delete it.")
    async def can_change(self, info: Info) -> bool:
        return await info.context.loaders.scoped(load_changeable_documents).load(self.id)


@strawberry.type(
    name="DocumentShare",
    description="A folder shared with one colleague or one department.",
)
class DocumentShareType(
    ModelType, model=DocumentShare, fields="id folder_id user_id department_id can_write created_at"
):
    can_write: bool = strawberry.field(
        description="Whether they may also add, rename, move and delete (else only read)."
    )
    user = related(UserType, "user_id", User, description="The colleague (or null).")
    department = related(
        DepartmentType, "department_id", Department, description="The department (or null)."
    )


@strawberry.input(description="A folder's name.")
class DocumentFolderInput(ModelInput, model=DocumentFolder, fields="name"):
    name: str = strawberry.field(
        description="Its name (no '/' or '\\').",
        metadata=column_limits(DocumentFolder.__table__.c.name),  # type: ignore[arg-type]
    )


@strawberry.type(description="What a folder mutation answers when it succeeds.")
class DocumentFolderSuccess:
    folder: DocumentFolderType = strawberry.field(description="The folder as it now is.")


@strawberry.type(description="What a document mutation answers when it succeeds.")
class DocumentSuccess:
    document: DocumentType = strawberry.field(description="The document as it now is.")


@strawberry.type(description="What sharing a folder answers when it succeeds.")
class DocumentShareSuccess:
    share: DocumentShareType = strawberry.field(description="The share as it now is.")


@strawberry.type(description="What your uploads take of your quota.")
class DocumentUsage:
    used_bytes: int = strawberry.field(description="Bytes of your uploads, recycle bin included.")
    quota_bytes: int = strawberry.field(description="The most you may upload in all.")
    max_file_bytes: int = strawberry.field(description="The largest single file accepted.")
