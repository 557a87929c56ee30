from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base


class Message(Base):
    """An internal message (F7.1), sent to one or more colleagues."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_sender_id_id", "sender_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[str] = mapped_column(String(200), doc="The subject line.")
    body: Mapped[str] = mapped_column(Text, doc="The message.")
    created_at: Mapped[datetime]


class MessageRecipient(Base):
    """A message in one recipient's inbox, with its read state."""

    __tablename__ = "message_recipients"
    __table_args__ = (Index("ix_message_recipients_user_message", "user_id", "message_id"),)

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    read_at: Mapped[datetime | None]
