"""Documents: private, shared (to read or to change) and public; uploads checked and counted
against a quota; folders binned recursively; a purge removes the bytes, on either store."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gql_crm.db.models import Department
from gql_crm.db.models.document import Document, DocumentFolder, DocumentShare
from gql_crm.services.unit_of_work import Services
from gql_crm.settings import Settings
from tests.document.conftest import Listing
from tests.document.support import (
    FOLDERS,
    PDF,
    SHARE,
    download,
    folder,
    mutate,
    names,
    upload,
)
from tests.fixtures.factories import count, row_counts
from tests.fixtures.users import uid
from tests.graphql_client import GraphQLClient

TEXT = b"Standard contract terms.\n"


async def _department(services: Services, name: str) -> int:
    async with services.database.reader() as session:
        found = await session.scalar(select(Department.id).where(Department.name == name))
    assert found is not None
    return found


async def test_my_documents_are_seen_by_no_one_else(
    sales1: GraphQLClient, sales2: GraphQLClient, manager1: GraphQLClient, admin: GraphQLClient,
    stored: Listing,
) -> None:  # fmt: skip
    plans = await folder(sales1, "Plans")
    inner = await folder(sales1, "2026", parentId=plans)
    doc = (await upload(sales1, "plan.txt", TEXT, "text/plain", folderId=inner))["document"]
    top = (await upload(sales1, "cv.pdf", PDF))["document"]
    assert doc["folder"]["name"] == "2026" and doc["uploadedBy"]["loginName"] == "sales1"
    assert await names(sales1, folderId=inner) == ["plan.txt"]
    assert await names(sales1) == ["cv.pdf"]
    assert await names(sales1, search="PLAN") == ["plan.txt"]
    assert len(stored()) == 2
    response = await download(sales1, doc["id"])
    assert response.status_code == 200 and response.content == TEXT

    # Not even the manager or the administrator: private is private.
    for other in (sales2, manager1, admin):
        assert await names(other, search="plan") == []
        assert await names(other, folderId=inner) == []
        folders = await other.data(FOLDERS, parentId=plans)
        assert folders["documentFolders"]["edges"] == []
        for document in (doc, top):
            assert (await download(other, document["id"])).status_code == 404
        renamed = await mutate(other, f'renameDocument(id: {top["id"]}, fileName: "x.pdf")')
        assert renamed["code"] == "NOT_FOUND"


async def test_a_shared_folder_is_read_or_changed_as_shared(
    sales1: GraphQLClient, sales2: GraphQLClient, sales3: GraphQLClient, services: Services
) -> None:
    templates = await folder(sales1, "Contract templates")
    inner = await folder(sales1, "Export", parentId=templates)
    contract = (await upload(sales1, "contract.pdf", PDF, folderId=inner))["document"]
    # sales2 reads; sales3's department may also change.
    read = await sales1.data(SHARE, folderId=templates, userId=uid(sales2))
    assert read["shareDocumentFolder"]["share"]["canWrite"] is False
    dept2 = await _department(services, "Sales Dept 2")
    write = await sales1.data(SHARE, folderId=templates, departmentId=dept2, canWrite=True)
    assert write["shareDocumentFolder"]["__typename"] == "DocumentShareSuccess"

    shared = await sales2.data(FOLDERS)
    [node] = [e["node"] for e in shared["documentFolders"]["edges"]]
    assert node["name"] == "Contract templates"
    assert node["shares"] == []  # a reader does not see who else reads
    assert await names(sales2, folderId=inner) == ["contract.pdf"]
    assert (await download(sales2, contract["id"])).content == PDF

    before = await row_counts(services)
    refused = [
        await upload(sales2, "mine.pdf", PDF, folderId=inner),
        await mutate(sales2, f'renameDocument(id: {contract["id"]}, fileName: "x.pdf")'),
        await mutate(sales2, f"deleteDocument(id: {contract['id']})"),
        await mutate(sales2, f'createDocumentFolder(input: {{name: "x"}}, parentId: {inner})'),
        await mutate(sales2, f"shareDocumentFolder(folderId: {inner}, userId: {uid(sales2)})"),
    ]
    assert [r["code"] for r in refused] == ["CONFLICT"] * 5
    assert "read only" in refused[0]["message"]
    assert await row_counts(services) == before

    added = await upload(sales3, "offer.pdf", PDF, folderId=inner)
    assert added["__typename"] == "DocumentSuccess"
    assert added["document"]["ownerId"] == uid(sales1)  # in sales1's folder: sales1's
    renamed = await mutate(sales3, f'renameDocument(id: {contract["id"]}, fileName: "v2.pdf")')
    assert renamed["__typename"] == "DocumentSuccess"
    assert await names(sales1, folderId=inner) == ["offer.pdf", "v2.pdf"]

    # Unshared, the folder is gone for sales2.
    share_id = read["shareDocumentFolder"]["share"]["id"]
    assert (await mutate(sales1, f"unshareDocumentFolder(id: {share_id})"))["__typename"] == (
        "DeleteSuccess"
    )
    assert await names(sales2, folderId=inner) == []
    assert (await download(sales2, contract["id"])).status_code == 404


async def test_public_documents_are_read_by_all_and_managed_with_the_right(
    sales1: GraphQLClient, sales2: GraphQLClient, admin: GraphQLClient, services: Services
) -> None:
    refused = await upload(sales1, "rules.pdf", PDF, space="PUBLIC")
    assert refused["code"] == "CONFLICT" and "document:manage_public" in refused["message"]
    assert await count(services, Document) == 0

    handbook = await folder(admin, "Handbook", space="PUBLIC")
    rules = (await upload(admin, "rules.pdf", PDF, folderId=handbook))["document"]
    assert rules["space"] == "PUBLIC"
    assert await names(sales2, folderId=handbook) == ["rules.pdf"]
    assert await names(sales2, search="rules") == ["rules.pdf"]
    public = await sales2.data(FOLDERS, space="PUBLIC")
    assert [e["node"]["name"] for e in public["documentFolders"]["edges"]] == ["Handbook"]
    assert (await download(sales2, rules["id"])).content == PDF
    renamed = await mutate(sales2, f'renameDocument(id: {rules["id"]}, fileName: "x.pdf")')
    assert renamed["code"] == "CONFLICT"


async def test_refused_uploads_write_nothing(
    sales1: GraphQLClient, services: Services, settings: Settings, stored: Listing,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(settings, "max_document_bytes", 1024)
    monkeypatch.setattr(settings, "document_quota_bytes", 1500)
    first = await upload(sales1, "a.pdf", PDF + b"0" * 900)
    assert first["__typename"] == "DocumentSuccess"
    before = await row_counts(services)
    files_before = stored()

    over_quota = await upload(sales1, "b.pdf", PDF + b"0" * 900)
    too_big = await upload(sales1, "c.pdf", PDF + b"0" * 1024)
    program = await upload(sales1, "d.exe", b"MZ" + b"\x00" * 64, "application/pdf")
    wrong_type = await upload(sales1, "e.zip", b"PK\x03\x04", "application/zip")

    assert "quota of" in over_quota["message"]
    assert "1 KiB" in too_big["message"]
    assert "not a application/pdf file" in program["message"]
    assert "not accepted" in wrong_type["message"]
    assert {r["code"] for r in (over_quota, too_big, program, wrong_type)} == {"INVALID_INPUT"}
    assert await row_counts(services) == before
    assert stored() == files_before
    usage = await sales1.data("{ documentUsage { usedBytes quotaBytes maxFileBytes } }")
    assert usage["documentUsage"] == {
        "usedBytes": len(PDF) + 900, "quotaBytes": 1500, "maxFileBytes": 1024
    }  # fmt: skip


async def test_a_purge_removes_the_bytes(
    sales1: GraphQLClient, services: Services, stored: Listing
) -> None:
    doc = (await upload(sales1, "a.pdf", PDF))["document"]
    plans = await folder(sales1, "Plans")
    await upload(sales1, "b.pdf", PDF, folderId=plans)
    await upload(sales1, "c.pdf", PDF, folderId=await folder(sales1, "Old", parentId=plans))
    assert len(stored()) == 3

    assert (await mutate(sales1, f"deleteDocument(id: {doc['id']})"))["__typename"] == (
        "DeleteSuccess"
    )
    assert len(stored()) == 3  # binned, not gone
    assert (await download(sales1, doc["id"])).status_code == 404
    purged = await mutate(sales1, f"purgeDocument(id: {doc['id']})")
    assert purged["__typename"] == "DeleteSuccess"
    assert len(stored()) == 2

    await mutate(sales1, f"deleteDocumentFolder(id: {plans}, recursive: true)")
    assert (await mutate(sales1, f"purgeDocumentFolder(id: {plans})"))["__typename"] == (
        "DeleteSuccess"
    )
    assert stored() == []
    assert await count(services, Document) == await count(services, DocumentFolder) == 0


async def test_folders_delete_recursively_into_the_bin_and_come_back(
    sales1: GraphQLClient, services: Services
) -> None:
    plans = await folder(sales1, "Plans")
    old = await folder(sales1, "Old", parentId=plans)
    await upload(sales1, "b.pdf", PDF, folderId=old)

    refused = await mutate(sales1, f"deleteDocumentFolder(id: {plans})")
    assert refused["code"] == "CONFLICT" and "not empty" in refused["message"]
    deleted = await mutate(sales1, f"deleteDocumentFolder(id: {plans}, recursive: true)")
    assert deleted["__typename"] == "DeleteSuccess"
    assert await names(sales1, search="b.pdf") == []
    bin = await sales1.data(
        "{ documentFolderRecycleBin { edges { node { id } } } "
        "documentRecycleBin { edges { node { id } } } }"
    )
    assert [e["node"]["id"] for e in bin["documentFolderRecycleBin"]["edges"]] == [plans]
    assert bin["documentRecycleBin"]["edges"] == []  # it comes back with its folder

    restored = await mutate(sales1, f"restoreDocumentFolder(id: {plans})")
    assert restored["__typename"] == "DocumentFolderSuccess"
    assert await names(sales1, folderId=old) == ["b.pdf"]


async def test_moves_stay_within_a_space_and_out_of_their_own_subtree(
    sales1: GraphQLClient, sales2: GraphQLClient
) -> None:
    plans = await folder(sales1, "Plans")
    old = await folder(sales1, "Old", parentId=plans)
    archive = await folder(sales1, "Archive")
    doc = (await upload(sales1, "a.pdf", PDF, folderId=old))["document"]

    cycle = await mutate(sales1, f"moveDocumentFolder(id: {plans}, parentId: {old})")
    assert cycle["code"] == "CONFLICT"
    moved = await mutate(sales1, f"moveDocumentFolder(id: {plans}, parentId: {archive})")
    assert moved["__typename"] == "DocumentFolderSuccess"
    # The share of Archive now reaches Plans/Old too (paths moved with the folder).
    await sales1.data(SHARE, folderId=archive, userId=uid(sales2))
    assert await names(sales2, folderId=old) == ["a.pdf"]

    theirs = await folder(sales2, "Mine")
    across = await mutate(sales1, f"moveDocument(id: {doc['id']}, folderId: {theirs})")
    assert across["code"] == "NOT_FOUND"
    to_top = await mutate(sales1, f"moveDocument(id: {doc['id']}, folderId: null)")
    assert to_top["__typename"] == "DocumentSuccess"
    assert await names(sales1) == ["a.pdf"]
    assert await names(sales2, folderId=old) == []


async def test_shares_name_one_colleague_or_department(
    sales1: GraphQLClient, services: Services
) -> None:
    plans = await folder(sales1, "Plans")
    both = await sales1.data(SHARE, folderId=plans)
    assert both["shareDocumentFolder"]["code"] == "INVALID_INPUT"
    missing = await sales1.data(SHARE, folderId=plans, userId=999_999)
    assert missing["shareDocumentFolder"]["code"] == "NOT_FOUND"
    assert await count(services, DocumentShare) == 0
