"""Attachments (F5.2 contract text, and files on customers): checked, hashed and stored under
a random key (``services/files.py``, ``gql_crm/storage.py``); the database row says who may
see them. Purging their customer or order removes their rows and bytes.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select

from gql_crm.auth.permissions import Advanced
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.models import Attachment, AttachmentRecordType
from gql_crm.db.models.knowledge import KnowledgeArticle
from gql_crm.services import files
from gql_crm.services.customer import CUSTOMER_EDIT, managed_customer
from gql_crm.services.errors import Conflict, NotFound
from gql_crm.services.files import UploadedFile, clean_file_name
from gql_crm.services.order import ORDER_EDIT, managed_order
from gql_crm.services.unit_of_work import Services, UnitOfWork
from gql_crm.settings import Settings
from gql_crm.storage import LocalStore, StoredFile, file_store

logger = logging.getLogger("gql_crm.attachments")


# ---- who may see and change ----------------------------------------------------------------


async def _check_may_change(
    uow: UnitOfWork, record_type: AttachmentRecordType, record_id: int, field: str
) -> None:
    """The record's own "may change" rule: invisible records are not found, visible ones the
    caller may not change a conflict. The record is locked for the rest of the unit of work."""
    if record_type is AttachmentRecordType.ARTICLE:
        uow.principal.require(Advanced.EDIT_KNOWLEDGE)
        article = visibility.knowledge_article(uow.principal)
        try:
            await uow.find(KnowledgeArticle, record_id, article)
        except NotFound:
            raise NotFound("Knowledge article", record_id, field) from None
        return
    if record_type is AttachmentRecordType.ORDER:
        uow.principal.require(ORDER_EDIT)
        await managed_order(uow, record_id, field)
        return
    uow.principal.require(CUSTOMER_EDIT)
    try:
        await managed_customer(uow, record_id)
    except NotFound:
        raise NotFound("Customer", record_id, field) from None
    except Conflict as error:
        raise Conflict(error.message, field) from None


def storage_path(settings: Settings, storage_key: str) -> Path:
    """Where the local store keeps an attachment's bytes."""
    return LocalStore(settings.attachments_dir).path(storage_key)


# ---- writing -------------------------------------------------------------------------------


async def upload_attachment(
    uow: UnitOfWork, record_type: AttachmentRecordType, record_id: int, upload: UploadedFile
) -> Attachment:
    """Attach a file to an order or customer the caller may change."""
    await _check_may_change(uow, record_type, record_id, "recordId")
    settings = uow.services.settings
    content_type = files.accepted_type(upload, settings.attachment_content_types)
    store = file_store(settings, "attachments")
    staged = await files.stage(store, upload, settings.max_attachment_bytes)
    try:
        files.check_content(staged, content_type)
        attachment = Attachment(
            record_type=record_type,
            record_id=record_id,
            file_name=clean_file_name(upload.filename),
            content_type=content_type,
            size=staged.size,
            sha256=staged.sha256,
            storage_key=files.new_key(),
            uploaded_by_id=uow.principal.user_id,
            created_at=uow.now,
        )
        uow.session.add(attachment)
        await uow.session.flush()
        await files.place(uow, "attachments", attachment.storage_key, staged)
    finally:
        staged.path.unlink(missing_ok=True)  # gone already once placed
    uow.log(
        record_type.value,
        record_id,
        "attach",
        {"attachment": [None, f"{attachment.file_name} ({attachment.id})"]},
    )
    return attachment


async def delete_attachment(uow: UnitOfWork, attachment_id: int) -> Attachment:
    """Hide an attachment everywhere; the file stays on disk with its row (soft delete)."""
    attachment = await uow.session.scalar(
        select(Attachment).where(
            Attachment.id == attachment_id, visibility.attachment(uow.principal)
        )
    )
    if attachment is None:
        raise NotFound("Attachment", attachment_id)
    await _check_may_change(uow, attachment.record_type, attachment.record_id, "id")
    attachment.deleted_at = uow.now
    uow.log(
        attachment.record_type.value,
        attachment.record_id,
        "detach",
        {"attachment": [f"{attachment.file_name} ({attachment.id})", None]},
    )
    return attachment


# ---- reading -------------------------------------------------------------------------------


async def downloadable(
    services: Services, principal: Principal, attachment_id: int
) -> tuple[Attachment, StoredFile] | None:
    """The attachment and its opened file, if the caller may see it (None says nothing
    more)."""
    async with services.database.reader() as session:
        attachment = await session.scalar(
            select(Attachment).where(
                Attachment.id == attachment_id, visibility.attachment(principal)
            )
        )
    if attachment is None:
        return None
    opened = await file_store(services.settings, "attachments").open(attachment.storage_key)
    if opened is None:
        logger.error("attachment %s has no stored file", attachment.id)
        return None
    return attachment, opened
