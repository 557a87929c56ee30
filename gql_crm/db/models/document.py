"""Documents (F6): files in folders, private to their owner unless a folder is shared with
colleagues or departments, or in the company's public space.

A folder's ``path`` lists its ancestors and itself ("/3/17/42/"): a share of a folder reaches
everything beneath it, and a subtree is found, moved or binned with one ``LIKE`` on the path.
Folders and documents take the owner and space of the folder they are in.
"""

from __future__ import annotations

import enum

from sqlalchemy import BigInteger, Boolean, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, Binnable, Record, reference, str_enum, trigram_indexes


class DocumentSpace(enum.StrEnum):
    """Whose documents: the owner's own (shareable) or the company's public ones."""

    PRIVATE = "private"
    PUBLIC = "public"


class DocumentFolder(Binnable, Base):
    __tablename__ = "document_folders"

    owner_id: Mapped[int] = reference("users")
    parent_id: Mapped[int | None] = reference("document_folders", "CASCADE")
    space: Mapped[DocumentSpace] = mapped_column(str_enum(DocumentSpace, 16))
    name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(1000), index=True)


class Document(Binnable, Base):
    """A stored file (``gql_crm/storage.py``, area "documents"); ``created_by_id`` uploaded it
    and its size counts towards that user's quota."""

    __tablename__ = "documents"
    __table_args__ = tuple(trigram_indexes("documents", "file_name"))

    owner_id: Mapped[int] = reference("users")
    folder_id: Mapped[int | None] = reference("document_folders", "CASCADE")
    space: Mapped[DocumentSpace] = mapped_column(str_enum(DocumentSpace, 16))
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)


class DocumentShare(Record, Base):
    """A folder (and all beneath it) shared with one user or one department."""

    __tablename__ = "document_shares"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (department_id IS NULL)", name="user_or_department"),
    )

    folder_id: Mapped[int] = reference("document_folders", "CASCADE")
    user_id: Mapped[int | None] = reference("users", "CASCADE")
    department_id: Mapped[int | None] = reference("departments", "CASCADE")
    can_write: Mapped[bool] = mapped_column(Boolean, default=False)
