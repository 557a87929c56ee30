from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, reference, str_enum


class AttachmentRecordType(enum.StrEnum):
    """The kinds of record a file can hang on."""

    ORDER = "order"
    CUSTOMER = "customer"
    ARTICLE = "article"  # of the knowledge base


class Attachment(Base):
    """A file attached to an order (the contract text) or a customer.

    The bytes live on disk under ``attachments_dir`` at a path made from ``storage_key``,
    which is random: the user's file name is only ever shown, never used as a path. There is
    no foreign key to the record (it may be of either kind); readers join through the
    record's own visibility rule, so attachments of deleted records are hidden with them.
    """

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_record", "record_type", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[AttachmentRecordType] = mapped_column(
        str_enum(AttachmentRecordType, 16), doc="The kind of record the file belongs to."
    )
    record_id: Mapped[int]
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(
        String(127), doc="The file's media type, checked against its content on upload."
    )
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by_id: Mapped[int | None] = reference("users")
    created_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
