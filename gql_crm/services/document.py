"""Documents (F6): my documents in nested folders, folders shared with colleagues or
departments (to read, or to read and change), and the company's public documents.

Who may see and who may change a folder or document are the rules of ``db/visibility.py``;
a folder's share reaches everything beneath it. Folders and documents take the owner and the
space of the folder they are in, so moving is within one owner's space. Deleting a folder
that is not empty is refused unless asked to be recursive: then the folder and all beneath it
go to the deleter's recycle bin together, and come back together. A purge removes the files'
bytes. Uploads are checked as attachments are (size, type, content) and counted against
the uploader's quota; a refused upload writes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, delete, exists, func, or_, select, update

from gql_crm.auth.permissions import Advanced, Module, record_codes
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.models import Department, User
from gql_crm.db.models.document import Document, DocumentFolder, DocumentShare, DocumentSpace
from gql_crm.db.pagination import SortKey
from gql_crm.services import files, recycle_bin
from gql_crm.services.errors import Conflict, InvalidInput, NotFound
from gql_crm.services.files import UploadedFile, clean_file_name, describe_size
from gql_crm.services.unit_of_work import UnitOfWork
from gql_crm.storage import StoredFile, file_store

VIEW, CREATE, EDIT, DELETE = record_codes(Module.DOCUMENT)
MANAGE_PUBLIC = Advanced.MANAGE_PUBLIC_DOCUMENTS
FOLDER_ORDER = (SortKey(DocumentFolder.name), SortKey(DocumentFolder.id))
DOCUMENT_ORDER = (SortKey(Document.file_name), SortKey(Document.id))
SHARE_ORDER = (SortKey(DocumentShare.id),)
FOLDER_BIN_ORDER = recycle_bin.latest_first(DocumentFolder)
DOCUMENT_BIN_ORDER = recycle_bin.latest_first(Document)
FOLDER, DOCUMENT, SHARE = "document_folder", "document", "document_share"


# ---- lists ---------------------------------------------------------------------------------


def folders(
    principal: Principal, parent_id: int | None = None, space: DocumentSpace | None = None
) -> Select[DocumentFolder]:
    """The folders in ``parent_id``; without it, the top of a space: your own folders
    (private), the public ones, or (no space) the folders others shared with you."""
    visible = select(DocumentFolder).where(visibility.document_folder(principal))
    if parent_id is not None:
        return visible.where(DocumentFolder.parent_id == parent_id)
    if space is DocumentSpace.PRIVATE:
        return visible.where(
            DocumentFolder.parent_id.is_(None),
            DocumentFolder.space == space,
            DocumentFolder.owner_id == principal.user_id,
        )
    if space is DocumentSpace.PUBLIC:
        return visible.where(DocumentFolder.parent_id.is_(None), DocumentFolder.space == space)
    return visible.where(_shared_with(principal), DocumentFolder.owner_id != principal.user_id)


def _shared_with(principal: Principal) -> ColumnElement[bool]:
    """Folders with a share naming the caller or their department."""
    mine = [DocumentShare.user_id == principal.user_id]
    if principal.department_id is not None:
        mine.append(DocumentShare.department_id == principal.department_id)
    return exists().where(DocumentShare.folder_id == DocumentFolder.id, or_(*mine))


def documents(
    principal: Principal,
    folder_id: int | None = None,
    space: DocumentSpace | None = None,
    search: str | None = None,
) -> Select[Document]:
    """The documents in ``folder_id`` (without it: at the top of your own or the public
    space); with ``search``, every document you may read whose name contains it."""
    visible = select(Document).where(visibility.document(principal))
    if term := (search or "").strip():
        visible = visible.where(Document.file_name.icontains(term, autoescape=True))
        return visible.where(Document.folder_id == folder_id) if folder_id else visible
    if folder_id is not None:
        return visible.where(Document.folder_id == folder_id)
    top = visible.where(Document.folder_id.is_(None))
    if space is DocumentSpace.PUBLIC:
        return top.where(Document.space == space)
    return top.where(
        Document.space == DocumentSpace.PRIVATE, Document.owner_id == principal.user_id
    )


def shares(principal: Principal, folder_id: int) -> Select[DocumentShare]:
    return select(DocumentShare).where(
        DocumentShare.folder_id == folder_id, visibility.document_share(principal)
    )


def folder_bin(principal: Principal) -> Select[DocumentFolder]:
    """Folders you deleted (what was deleted with them is listed inside them)."""
    parent = select(DocumentFolder.id).where(DocumentFolder.deleted_at.is_not(None))
    return select(DocumentFolder).where(
        visibility.binned_document_folder(principal),
        or_(DocumentFolder.parent_id.is_(None), DocumentFolder.parent_id.not_in(parent)),
    )


def document_bin(principal: Principal) -> Select[Document]:
    """Documents you deleted on their own (those deleted with a folder come back with it)."""
    binned_folders = select(DocumentFolder.id).where(DocumentFolder.deleted_at.is_not(None))
    return select(Document).where(
        visibility.binned_document(principal),
        or_(Document.folder_id.is_(None), Document.folder_id.not_in(binned_folders)),
    )


async def used_bytes(uow_or_session: Any, user_id: int) -> int:
    """What a user's uploads take, the recycle bin included (a purge frees it)."""
    total = await uow_or_session.scalar(
        select(func.coalesce(func.sum(Document.size), 0)).where(Document.created_by_id == user_id)
    )
    return int(total or 0)


async def usage(services: Any, principal: Principal) -> tuple[int, int, int]:
    """The caller's used bytes, their quota and the largest file accepted."""
    async with services.database.reader() as session:
        used = await used_bytes(session, principal.user_id)
    settings = services.settings
    return used, settings.document_quota_bytes, settings.max_document_bytes


# ---- finding what the caller may change ----------------------------------------------------


async def _changeable(uow: UnitOfWork, model: Any, id: int, field: str = "id") -> Any:
    """The live folder or document if the caller may change it: not found if they may not
    see it, a conflict if they may only read it."""
    if model is DocumentFolder:
        visible, writable = visibility.document_folder, visibility.writable_document_folder
    else:
        visible, writable = visibility.document, visibility.writable_document
    label = "Folder" if model is DocumentFolder else "Document"
    try:
        row = await uow.find(model, id, visible(uow.principal), label=label)
    except NotFound:
        raise NotFound(label, id, field) from None
    if not await uow.session.scalar(
        select(exists().where(model.id == id, writable(uow.principal)))
    ):
        raise Conflict(f"{label} {id} is shared with you to read only.", field)
    return row


async def _target(
    uow: UnitOfWork, folder_id: int | None, space: DocumentSpace, field: str
) -> tuple[DocumentFolder | None, int, DocumentSpace]:
    """Where something new goes: the folder (which the caller must be able to change), or
    the top of a space; the owner and space it takes."""
    if folder_id is not None:
        folder: DocumentFolder = await _changeable(uow, DocumentFolder, folder_id, field)
        return folder, folder.owner_id, folder.space
    if space is DocumentSpace.PUBLIC and not uow.principal.has(MANAGE_PUBLIC):
        raise Conflict(f"Public documents need the permission '{MANAGE_PUBLIC}'.", "space")
    return None, uow.principal.user_id, space


def _check_name(name: str) -> None:
    if "/" in name or "\\" in name:
        raise InvalidInput.single("name", "must not contain '/' or '\\'")


# ---- folders -------------------------------------------------------------------------------


async def create_folder(
    uow: UnitOfWork, input: dict[str, Any], parent_id: int | None = None,
    space: DocumentSpace = DocumentSpace.PRIVATE,
) -> DocumentFolder:  # fmt: skip
    _check_name(input["name"])
    parent, owner_id, space = await _target(uow, parent_id, space, "parentId")
    folder = DocumentFolder(
        owner_id=owner_id, parent_id=parent_id, space=space, name=input["name"], path=""
    )
    await uow.add(FOLDER, folder, name=folder.name, parent_id=parent_id)
    folder.path = f"{parent.path if parent else '/'}{folder.id}/"
    await uow.session.flush()
    return folder


async def rename_folder(uow: UnitOfWork, id: int, input: dict[str, Any]) -> DocumentFolder:
    folder: DocumentFolder = await _changeable(uow, DocumentFolder, id)
    _check_name(input["name"])
    uow.apply(FOLDER, folder, {"name": input["name"]})
    return folder


async def move_folder(uow: UnitOfWork, id: int, parent_id: int | None) -> DocumentFolder:
    """Move a folder (with all beneath it) into another folder of the same space, or to the
    top of it."""
    folder: DocumentFolder = await _changeable(uow, DocumentFolder, id)
    parent, owner_id, space = await _target(uow, parent_id, folder.space, "parentId")
    if parent is not None and parent.path.startswith(folder.path):
        raise Conflict("A folder cannot be moved into itself or a folder beneath it.", "parentId")
    if (owner_id, space) != (folder.owner_id, folder.space):
        raise InvalidInput.single("parentId", "must be a folder of the same owner's space")
    old = folder.path
    new = f"{parent.path if parent else '/'}{folder.id}/"
    uow.apply(FOLDER, folder, {"parent_id": parent_id}, action="move")
    await uow.session.execute(
        update(DocumentFolder)
        .where(DocumentFolder.path.startswith(old))
        .values(path=new + func.substr(DocumentFolder.path, len(old) + 1))
        .execution_options(synchronize_session=False)
    )
    folder.path = new
    return folder


def _beneath(model: Any, path: str) -> ColumnElement[bool]:
    """Folders (the folder itself included) or documents at or beneath ``path``."""
    if model is DocumentFolder:
        return DocumentFolder.path.startswith(path)
    return Document.folder_id.in_(
        select(DocumentFolder.id).where(DocumentFolder.path.startswith(path))
    )


async def delete_folder(uow: UnitOfWork, id: int, recursive: bool = False) -> int:
    """Into your recycle bin; a folder that is not empty only when ``recursive``, with
    everything in it."""
    folder: DocumentFolder = await _changeable(uow, DocumentFolder, id)
    path = folder.path
    live = [
        exists().where(DocumentFolder.parent_id == id, DocumentFolder.deleted_at.is_(None)),
        exists().where(Document.folder_id == id, Document.deleted_at.is_(None)),
    ]
    if not recursive and await uow.session.scalar(select(or_(*live))):
        raise Conflict(
            f"Folder {id} is not empty: delete it with recursive: true to move it and "
            "everything in it to your recycle bin.",
            "id",
        )
    stamp = {"deleted_at": uow.now, "deleted_by_id": uow.principal.user_id}
    for model in (Document, DocumentFolder):
        await uow.session.execute(
            update(model)
            .where(_beneath(model, path), model.deleted_at.is_(None))
            .values(**stamp)
            .execution_options(synchronize_session=False)
        )
    recycle_bin.discard(uow, FOLDER, folder)
    return id


async def restore_folder(uow: UnitOfWork, id: int) -> DocumentFolder:
    """Bring a folder back with what was deleted with it."""
    folder: DocumentFolder = await recycle_bin.binned(
        uow, DocumentFolder, id, visibility.binned_document_folder(uow.principal), "Folder"
    )
    await _parent_is_live(uow, folder.parent_id)
    deleted_at = folder.deleted_at
    for model in (Document, DocumentFolder):
        await uow.session.execute(
            update(model)
            .where(
                _beneath(model, folder.path),
                model.deleted_at == deleted_at,
                model.deleted_by_id == uow.principal.user_id,
            )
            .values(deleted_at=None, deleted_by_id=None)
            .execution_options(synchronize_session=False)
        )
    recycle_bin.restore(uow, FOLDER, folder)
    return folder


async def _parent_is_live(uow: UnitOfWork, folder_id: int | None) -> None:
    if folder_id is not None and await uow.session.scalar(
        select(DocumentFolder.deleted_at).where(DocumentFolder.id == folder_id)
    ):
        raise Conflict(f"Its folder {folder_id} is in a recycle bin: restore that first.", "id")


async def purge_folder(uow: UnitOfWork, id: int) -> int:
    """Delete a binned folder for good, with everything beneath it and their files."""
    folder: DocumentFolder = await recycle_bin.binned(
        uow, DocumentFolder, id, visibility.binned_document_folder(uow.principal), "Folder"
    )
    keys = await uow.session.scalars(
        delete(Document).where(_beneath(Document, folder.path)).returning(Document.storage_key)
    )
    files.forget(uow, "documents", keys.all())
    return await recycle_bin.purge(uow, FOLDER, folder, {"name": [folder.name, None]})


# ---- sharing -------------------------------------------------------------------------------


async def share_folder(
    uow: UnitOfWork, folder_id: int, user_id: int | None = None,
    department_id: int | None = None, can_write: bool = False,
) -> DocumentShare:  # fmt: skip
    """Share a private folder you may change with a colleague or a department (once each:
    sharing again changes whether they may write)."""
    folder: DocumentFolder = await _changeable(uow, DocumentFolder, folder_id, "folderId")
    if folder.space is DocumentSpace.PUBLIC:
        raise InvalidInput.single("folderId", "public folders are seen by everyone already")
    if (user_id is None) == (department_id is None):
        raise InvalidInput.single("userId", "give either userId or departmentId")
    if user_id is not None and not await uow.session.scalar(
        select(exists().where(User.id == user_id, User.is_active))
    ):
        raise NotFound("User", user_id, "userId")
    if department_id is not None and not await uow.session.scalar(
        select(exists().where(Department.id == department_id))
    ):
        raise NotFound("Department", department_id, "departmentId")
    share = await uow.session.scalar(
        select(DocumentShare).where(
            DocumentShare.folder_id == folder_id,
            DocumentShare.user_id == user_id if user_id else DocumentShare.user_id.is_(None),
            DocumentShare.department_id == department_id
            if department_id
            else DocumentShare.department_id.is_(None),
        )
    )
    if share is not None:
        uow.apply(SHARE, share, {"can_write": can_write})
        return share
    share = DocumentShare(
        folder_id=folder_id, user_id=user_id, department_id=department_id, can_write=can_write
    )
    return await uow.add(
        SHARE,
        share,
        folder_id=folder_id,
        user_id=user_id,
        department_id=department_id,
        can_write=can_write,
    )


async def unshare_folder(uow: UnitOfWork, id: int) -> int:
    share = await uow.find(
        DocumentShare, id, visibility.document_share(uow.principal), label="Document share"
    )
    await uow.session.delete(share)
    uow.log(SHARE, id, "delete", {"folderId": [share.folder_id, None]})
    return id


# ---- documents -----------------------------------------------------------------------------


async def upload_document(
    uow: UnitOfWork, upload: UploadedFile, folder_id: int | None = None,
    space: DocumentSpace = DocumentSpace.PRIVATE,
) -> Document:  # fmt: skip
    """Store a file in a folder you may change, or at the top of your own (or, with the
    right, the public) space."""
    _, owner_id, space = await _target(uow, folder_id, space, "folderId")
    settings = uow.services.settings
    content_type = files.accepted_type(upload, settings.attachment_content_types)
    store = file_store(settings, "documents")
    staged = await files.stage(store, upload, settings.max_document_bytes)
    try:
        files.check_content(staged, content_type)
        quota = settings.document_quota_bytes
        used = await used_bytes(uow.session, uow.principal.user_id)
        if used + staged.size > quota:
            raise InvalidInput.single(
                "file",
                f"would exceed your quota of {describe_size(quota)} "
                f"({used} bytes used, this file has {staged.size})",
            )
        document = Document(
            owner_id=owner_id,
            folder_id=folder_id,
            space=space,
            file_name=clean_file_name(upload.filename),
            content_type=content_type,
            size=staged.size,
            sha256=staged.sha256,
            storage_key=files.new_key(),
        )
        await uow.add(DOCUMENT, document, file_name=document.file_name, folder_id=folder_id)
        await files.place(uow, "documents", document.storage_key, staged)
    finally:
        staged.path.unlink(missing_ok=True)  # gone already once placed
    return document


async def rename_document(uow: UnitOfWork, id: int, file_name: str) -> Document:
    document: Document = await _changeable(uow, Document, id)
    cleaned = clean_file_name(file_name)
    if cleaned != file_name.strip():
        raise InvalidInput.single("fileName", "must not contain '/', '\\' or control characters")
    uow.apply(DOCUMENT, document, {"file_name": cleaned})
    return document


async def move_document(uow: UnitOfWork, id: int, folder_id: int | None) -> Document:
    """Into another folder of the same space, or to the top of it."""
    document: Document = await _changeable(uow, Document, id)
    _, owner_id, space = await _target(uow, folder_id, document.space, "folderId")
    if (owner_id, space) != (document.owner_id, document.space):
        raise InvalidInput.single("folderId", "must be a folder of the same owner's space")
    uow.apply(DOCUMENT, document, {"folder_id": folder_id}, action="move")
    return document


async def delete_document(uow: UnitOfWork, id: int) -> int:
    document = await _changeable(uow, Document, id)
    recycle_bin.discard(uow, DOCUMENT, document)
    return id


async def _binned_document(uow: UnitOfWork, id: int) -> Document:
    found: Document = await recycle_bin.binned(
        uow, Document, id, visibility.binned_document(uow.principal), "Document"
    )
    return found


async def restore_document(uow: UnitOfWork, id: int) -> Document:
    document = await _binned_document(uow, id)
    await _parent_is_live(uow, document.folder_id)
    recycle_bin.restore(uow, DOCUMENT, document)
    return document


async def purge_document(uow: UnitOfWork, id: int) -> int:
    """Delete a binned document for good; its file goes too."""
    document = await _binned_document(uow, id)
    files.forget(uow, "documents", [document.storage_key])
    return await recycle_bin.purge(
        uow, DOCUMENT, document, {"fileName": [document.file_name, None]}
    )


# ---- reading -------------------------------------------------------------------------------


async def downloadable(
    services: Any, principal: Principal, document_id: int
) -> tuple[Document, StoredFile] | None:
    """The document and its opened file, if the caller may read it (None says nothing
    more)."""
    async with services.database.reader() as session:
        document = await session.scalar(
            select(Document).where(Document.id == document_id, visibility.document(principal))
        )
    if document is None:
        return None
    return await _opened(services, document)


async def _opened(services: Any, document: Document) -> tuple[Document, StoredFile] | None:
    opened = await file_store(services.settings, "documents").open(document.storage_key)
    return (document, opened) if opened is not None else None
