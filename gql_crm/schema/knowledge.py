from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import User
from gql_crm.db.models.knowledge import ArticleStatus, KnowledgeArticle, KnowledgeCategory
from gql_crm.schema.attachment import AttachmentType
from gql_crm.schema.constraints import column_limits, constraint
from gql_crm.schema.kit import ModelInput, ModelType, related
from gql_crm.schema.user import UserType


def _limits(model: Any, name: str) -> dict[str, Any]:
    return column_limits(model.__table__.c[name])


strawberry.enum(ArticleStatus, name="ArticleStatus", description="Whether readers see it.")


@strawberry.type(name="KnowledgeCategory", description="A category of the knowledge base.")
class KnowledgeCategoryType(
    ModelType, model=KnowledgeCategory, fields="id name parent_id position created_at"
):
    name: str = strawberry.field(description="As shown in the tree.")
    position: int = strawberry.field(description="Order among its siblings, smallest first.")
    parent = related(
        "KnowledgeCategoryType", "parent_id", KnowledgeCategory, module=__name__,
        description="The category it is in (null: a top category).",
    )  # fmt: skip


@strawberry.type(
    name="KnowledgeArticle",
    description="An article of the knowledge base; its body is Markdown, which clients render "
    "without raw HTML.",
)
class KnowledgeArticleType(
    ModelType,
    model=KnowledgeArticle,
    fields="id category_id title body status published_at created_by_id created_at updated_at "
    "deleted_at",
):
    id: int
    title: str = strawberry.field(description="The article's title.")
    body: str = strawberry.field(description="Markdown, as written.")
    status: ArticleStatus = strawberry.field(description="Draft or published.")
    published_at: datetime | None = strawberry.field(
        description="When it was first published (null: a draft)."
    )
    category = related(
        KnowledgeCategoryType, "category_id", KnowledgeCategory, description="Where it is filed."
    )
    author = related(UserType, "created_by_id", User, description="Who wrote it.")

    @strawberry.field(description="Files attached to it, newest first.")
    async def attachments(self, info: Info) -> list[AttachmentType]:
        rows = await info.context.loaders.article_attachments.load(self.id)
        return [AttachmentType.from_model(row) for row in rows]


@strawberry.input
class KnowledgeCategoryInput(ModelInput, model=KnowledgeCategory, fields="name parent_id position"):
    name: str = strawberry.field(
        description="As shown in the tree.", metadata=_limits(KnowledgeCategory, "name")
    )
    position: int = strawberry.field(
        default=0,
        description="Order among its siblings, smallest first.",
        metadata=constraint(minimum=0, maximum=10_000),
    )


@strawberry.input
class KnowledgeArticleInput(
    ModelInput, model=KnowledgeArticle, fields="category_id title body status"
):
    title: str = strawberry.field(
        description="The article's title.", metadata=_limits(KnowledgeArticle, "title")
    )
    body: str = strawberry.field(
        description="Markdown; clients render it without raw HTML.",
        metadata=_limits(KnowledgeArticle, "body"),
    )
    status: ArticleStatus = strawberry.field(
        description="DRAFT: editors only; PUBLISHED: everyone (the first time sets publishedAt)."
    )


@strawberry.type(description="What a category mutation answers when it succeeds.")
class KnowledgeCategorySuccess:
    category: KnowledgeCategoryType = strawberry.field(description="The category as it now is.")


@strawberry.type(description="What an article mutation answers when it succeeds.")
class KnowledgeArticleSuccess:
    article: KnowledgeArticleType = strawberry.field(description="The article as it now is.")
