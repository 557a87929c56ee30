"""The knowledge base: a category tree, drafts for editors, published articles for everyone,
found by Chinese and English words on either database, with attachments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gql_crm.db.models import Attachment
from gql_crm.db.models.knowledge import KnowledgeArticle, KnowledgeCategory
from gql_crm.services.unit_of_work import Services
from tests.attachment.support import PDF, download, post_upload, stored_files, upload
from tests.fixtures.factories import count, row_counts
from tests.graphql_client import GraphQLClient

CATEGORY = """
mutation($input: KnowledgeCategoryInput!) {
  createKnowledgeCategory(input: $input) {
    __typename
    ... on KnowledgeCategorySuccess { category { id name parent { name } } }
    ... on Error { code field message }
  }
}
"""
ARTICLE = """
mutation($input: KnowledgeArticleInput!) {
  createKnowledgeArticle(input: $input) {
    __typename
    ... on KnowledgeArticleSuccess { article { id status publishedAt author { loginName } } }
    ... on Error { code field message }
  }
}
"""
UPDATE = """
mutation($id: Int!, $input: KnowledgeArticleInput!) {
  updateKnowledgeArticle(id: $id, input: $input) {
    __typename
    ... on KnowledgeArticleSuccess { article { id status publishedAt } }
    ... on Error { code field message }
  }
}
"""
ARTICLES = """
query($search: String, $categoryId: Int) {
  knowledgeArticles(search: $search, categoryId: $categoryId) {
    edges { node { title category { name } attachments { fileName } } }
  }
}
"""
BODY_ZH = "报价前先确认客户的付款条件\N{FULLWIDTH COMMA}合同模板在共享文件夹里。"
BODY_EN = "Before quoting, confirm the customer's payment terms; templates are shared."


async def _category(client: GraphQLClient, name: str, parent_id: int | None = None) -> int:
    data = await client.data(CATEGORY, input={"name": name, "parentId": parent_id})
    result = data["createKnowledgeCategory"]
    assert result["__typename"] == "KnowledgeCategorySuccess", result
    return int(result["category"]["id"])


async def _article(client: GraphQLClient, category_id: int, title: str, body: str,
                   status: str = "PUBLISHED") -> dict[str, Any]:  # fmt: skip
    data = await client.data(
        ARTICLE,
        input={"categoryId": category_id, "title": title, "body": body, "status": status},
    )
    result: dict[str, Any] = data["createKnowledgeArticle"]
    return result


async def _titles(client: GraphQLClient, **variables: Any) -> list[str]:
    data = await client.data(ARTICLES, **variables)
    return [e["node"]["title"] for e in data["knowledgeArticles"]["edges"]]


async def test_articles_are_found_by_chinese_and_english_words(
    manager1: GraphQLClient, sales1: GraphQLClient
) -> None:
    sales = await _category(manager1, "销售 Sales")
    quoting = await _category(manager1, "报价 Quoting", sales)
    written = await _article(
        manager1, quoting, "报价流程 Quoting process", BODY_ZH + "\n" + BODY_EN
    )
    assert written["article"]["author"]["loginName"] == "manager1"
    assert written["article"]["publishedAt"] is not None
    await _article(manager1, sales, "Visiting customers", "Bring the brochure. 带上宣传册。")

    for word in ("合同", "付款条件", "合同模板", "PAYMENT", "quoting", "templates shared", "报价"):
        assert await _titles(sales1, search=word) == ["报价流程 Quoting process"], word
    assert await _titles(sales1, search="宣传册") == ["Visiting customers"]
    assert await _titles(sales1, search="合同 brochure") == []  # every word must occur
    assert await _titles(sales1, search="发票") == []
    assert await _titles(sales1, search='"; DROP') == []
    assert await _titles(sales1, search="100%") == []
    assert await _titles(sales1, categoryId=quoting) == ["报价流程 Quoting process"]


async def test_drafts_are_for_editors_and_writing_needs_the_right(
    manager1: GraphQLClient, sales1: GraphQLClient, services: Services
) -> None:
    category = await _category(manager1, "Products")
    draft = await _article(manager1, category, "新产品 draft", "尚未发布的内容", "DRAFT")
    assert draft["article"]["publishedAt"] is None
    assert await _titles(manager1, search="新产品") == ["新产品 draft"]
    assert await _titles(sales1, search="新产品") == []
    assert await _titles(sales1, search="尚未发布") == []  # a word of the draft's body
    assert await _titles(sales1, search="的内") == []

    before = await row_counts(services)
    codes = await sales1.error_codes(
        ARTICLE, input={"categoryId": category, "title": "x", "body": "y", "status": "DRAFT"}
    )
    assert codes == ["FORBIDDEN"]
    assert await row_counts(services) == before

    published = await manager1.data(
        UPDATE,
        id=draft["article"]["id"],
        input={"categoryId": category, "title": "新产品", "body": "已发布", "status": "PUBLISHED"},
    )
    assert published["updateKnowledgeArticle"]["article"]["status"] == "PUBLISHED"
    assert await _titles(sales1, search="已发布") == ["新产品"]
    assert await _titles(sales1, search="尚未发布") == []  # the old body is no longer found


async def test_categories_form_a_tree(manager1: GraphQLClient, services: Services) -> None:
    top = await _category(manager1, "Top")
    child = await _category(manager1, "Child", top)
    loop = await manager1.data(
        "mutation($id: Int!, $input: KnowledgeCategoryInput!) { updateKnowledgeCategory("
        "id: $id, input: $input) { __typename ... on Error { code field } } }",
        id=top,
        input={"name": "Top", "parentId": child},
    )
    assert loop["updateKnowledgeCategory"] == {"__typename": "ConflictError", "code": "CONFLICT",
                                               "field": "parentId"}  # fmt: skip
    await _article(manager1, child, "Filed", "text")
    in_use = await manager1.data(
        f"mutation {{ deleteKnowledgeCategory(id: {child}) {{ __typename }} }}"
    )
    assert in_use["deleteKnowledgeCategory"]["__typename"] == "ConflictError"
    assert await count(services, KnowledgeCategory) == 2


async def test_a_purged_article_takes_its_attachments_along(
    manager1: GraphQLClient, sales1: GraphQLClient, services: Services, attachments_dir: Path
) -> None:
    category = await _category(manager1, "Contracts")
    article = (await _article(manager1, category, "Template", "合同模板"))["article"]
    attached = await upload(manager1, "ARTICLE", article["id"], "t.pdf", PDF, "application/pdf")
    assert attached["__typename"] == "AttachmentSuccess"
    refused = await post_upload(sales1, "ARTICLE", article["id"], "t.pdf", PDF, "application/pdf")
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    data = await sales1.data(ARTICLES, search="合同模板")
    [node] = [e["node"] for e in data["knowledgeArticles"]["edges"]]
    assert node["attachments"] == [{"fileName": "t.pdf"}]
    assert (await download(sales1, attached["attachment"]["downloadUrl"])).content == PDF

    for step in ("deleteKnowledgeArticle", "purgeKnowledgeArticle"):
        result = await manager1.data(f"mutation {{ {step}(id: {article['id']}) {{ __typename }} }}")
        assert result[step]["__typename"] == "DeleteSuccess"
    assert await count(services, KnowledgeArticle) == await count(services, Attachment) == 0
    assert stored_files(attachments_dir) == []
