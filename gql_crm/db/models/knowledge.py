"""The knowledge base (F7.5): a tree of categories and the articles filed in them.

An article's body is Markdown, stored as written: the server never renders it, and clients
render it without raw HTML. Articles are searched by their title and body with the
dialect's own full-text machinery (``db/fulltext.py``).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, Binnable, Record, reference, str_enum, trigram_indexes


class ArticleStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class KnowledgeCategory(Record, Base):
    __tablename__ = "knowledge_categories"
    # No cascade: a category is deleted only once nothing is filed in it.
    parent_id: Mapped[int | None] = reference("knowledge_categories")
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)


class KnowledgeArticle(Binnable, Base):
    __tablename__ = "knowledge_articles"
    __table_args__ = tuple(trigram_indexes("knowledge_articles", "title", "body"))

    category_id: Mapped[int] = reference("knowledge_categories")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[ArticleStatus] = mapped_column(str_enum(ArticleStatus, 16))
    published_at: Mapped[datetime | None]
