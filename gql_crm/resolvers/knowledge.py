from __future__ import annotations

from typing import Annotated

import strawberry

from gql_crm.db.models.knowledge import ArticleStatus
from gql_crm.resolvers.kit import connection, mutation
from gql_crm.schema import knowledge as schema
from gql_crm.schema.common import DeleteSuccess
from gql_crm.services import knowledge as service
from gql_crm.services.knowledge import EDIT

Category = schema.KnowledgeCategorySuccess
Article = schema.KnowledgeArticleSuccess
Search = Annotated[
    str | None,
    strawberry.argument(
        description="Words that must all occur in the title or body (any language, any "
        "letter case; Chinese needs no spaces)."
    ),
]
Status = Annotated[
    ArticleStatus | None,
    strawberry.argument(description="Only articles of this status (drafts: editors only)."),
]


@strawberry.type
class KnowledgeQuery:
    knowledge_categories = connection(
        service.categories.rows, schema.KnowledgeCategoryType, service.CATEGORY_ORDER,
        parent_id=int | None,
        description="The categories of the knowledge base, in their order (parentId: the "
        "children of that one; left out, all of them).",
    )  # fmt: skip
    knowledge_articles = connection(
        service.article_rows, schema.KnowledgeArticleType, service.ARTICLE_ORDER,
        category_id=int | None, status=Status, search=Search,
        description="Articles you may read (published ones; drafts too with knowledge:edit), "
        "latest changed first.",
    )  # fmt: skip
    knowledge_recycle_bin = connection(
        service.articles.bin, schema.KnowledgeArticleType, service.articles.bin_order,
        needs=EDIT, description="Articles you deleted: restore or purge them.",
    )  # fmt: skip


@strawberry.type
class KnowledgeMutation:
    create_knowledge_category = mutation(
        service.categories.create, Category, needs=EDIT, input=schema.KnowledgeCategoryInput,
        description="Add a category (beneath parentId, or at the top).",
    )  # fmt: skip
    update_knowledge_category = mutation(
        service.categories.update, Category, needs=EDIT, id=int,
        input=schema.KnowledgeCategoryInput,
        description="Rename, reorder or move a category (never beneath itself).",
    )  # fmt: skip
    delete_knowledge_category = mutation(
        service.categories.delete, DeleteSuccess, needs=EDIT, id=int,
        description="Delete a category with nothing filed in it or beneath it.",
    )  # fmt: skip
    create_knowledge_article = mutation(
        service.articles.create, Article, needs=EDIT, input=schema.KnowledgeArticleInput,
        description="Write an article, as a draft or published.",
    )  # fmt: skip
    update_knowledge_article = mutation(
        service.articles.update, Article, needs=EDIT, id=int, input=schema.KnowledgeArticleInput,
        description="Change, publish or withdraw (back to DRAFT) an article.",
    )  # fmt: skip
    delete_knowledge_article = mutation(
        service.articles.delete, DeleteSuccess, needs=EDIT, id=int,
        description="Into your recycle bin.",
    )  # fmt: skip
    restore_knowledge_article = mutation(
        service.articles.restore, Article, needs=EDIT, id=int,
        description="Back from your recycle bin.",
    )  # fmt: skip
    purge_knowledge_article = mutation(
        service.purge_article, DeleteSuccess, needs=EDIT, id=int,
        description="For good, with its attachments and their files.",
    )  # fmt: skip
