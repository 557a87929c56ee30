"""The knowledge base (F7.5): a category tree and Markdown articles, drafts seen by editors
only, published ones by everyone; found by words of their title or body in any language
(``db/fulltext.py``). Writing needs ``knowledge:edit``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from gql_crm.auth.permissions import Advanced
from gql_crm.auth.principal import Principal
from gql_crm.db import fulltext, visibility
from gql_crm.db.models import AttachmentRecordType
from gql_crm.db.models.knowledge import ArticleStatus, KnowledgeArticle, KnowledgeCategory
from gql_crm.db.pagination import SortKey
from gql_crm.services import files
from gql_crm.services.errors import Conflict, InvalidInput, NotFound
from gql_crm.services.records import Records
from gql_crm.services.unit_of_work import UnitOfWork

EDIT = Advanced.EDIT_KNOWLEDGE
CATEGORY_ORDER = (
    SortKey(KnowledgeCategory.position),
    SortKey(KnowledgeCategory.name),
    SortKey(KnowledgeCategory.id),
)
ARTICLE_ORDER = (SortKey(KnowledgeArticle.updated_at, True), SortKey(KnowledgeArticle.id, True))


async def _category_check(uow: UnitOfWork, values: dict[str, Any], row: Any) -> dict[str, Any]:
    """The parent must exist and must not be the category itself or one beneath it."""
    current = values.get("parent_id")
    while current is not None:
        if row is not None and current == row.id:
            raise Conflict("A category cannot be put beneath itself.", "parentId")
        parent = await uow.session.get(KnowledgeCategory, current)
        if parent is None:
            raise NotFound("Knowledge category", values["parent_id"], "parentId")
        current = parent.parent_id
    return values


async def _article_check(uow: UnitOfWork, values: dict[str, Any], row: Any) -> dict[str, Any]:
    """A published article keeps when it was first published; its category must exist."""
    category_id = values["category_id"]
    if not await uow.session.scalar(
        select(KnowledgeCategory.id).where(KnowledgeCategory.id == category_id)
    ):
        raise NotFound("Knowledge category", category_id, "categoryId")
    if not values["body"].strip():
        raise InvalidInput.single("body", "must not be empty")
    published = values["status"] is ArticleStatus.PUBLISHED
    first = row.published_at if row is not None else None
    return {**values, "published_at": (first or uow.now) if published else None}


categories = Records(
    KnowledgeCategory, "knowledge_category", visibility.knowledge_category,
    check=_category_check,
)  # fmt: skip
articles = Records(
    KnowledgeArticle, "knowledge_article", visibility.knowledge_article,
    binned=visibility.binned_knowledge_article, check=_article_check, summary="title",
)  # fmt: skip


def article_rows(
    principal: Principal,
    category_id: int | None = None,
    status: ArticleStatus | None = None,
    search: str | None = None,
) -> Select[KnowledgeArticle]:
    """The articles you may read, in a category, of a status, and containing every word of
    ``search`` in their title or body."""
    stmt = articles.rows(principal, category_id=category_id, status=status)
    if search and search.strip():
        stmt = stmt.where(fulltext.matches(KnowledgeArticle, ("title", "body"), search))
    return stmt


async def purge_article(uow: UnitOfWork, id: int) -> int:
    """Delete a binned article for good, with its attachments and their files."""
    purged = await articles.purge(uow, id)
    await files.purge_attachments(uow, AttachmentRecordType.ARTICLE, [id])
    return purged
