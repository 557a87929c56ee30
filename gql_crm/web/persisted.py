"""Persisted queries: Apollo's automatic persisted queries (APQ) and trusted documents.

APQ (``extensions.persistedQuery = {version: 1, sha256Hash}``): a client first sends only the
hash; an unknown one is answered with ``PersistedQueryNotFound`` (code
``PERSISTED_QUERY_NOT_FOUND``) and the client sends the hash again with the query, which is
checked against the hash and remembered once it executed. Documents are kept in Redis when
it is configured (every server process shares them), in a bounded in-memory LRU otherwise.

Trusted documents (``GQL_CRM_TRUSTED_DOCUMENTS``, a file shipped by the front end): only the
operations in the file run, sent by hash or in full; nothing is registered at run time.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from redis.asyncio import Redis

from gql_crm.settings import Settings
from gql_crm.web.protocol import RequestRefused, bad_request, graphql_refusal

APQ_VERSION = 1


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class DocumentStore(Protocol):
    async def get(self, digest: str) -> str | None: ...

    async def put(self, digest: str, document: str) -> None: ...

    async def close(self) -> None: ...


class MemoryStore:
    """The embedded default: the most recently used documents of this process."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._documents: OrderedDict[str, str] = OrderedDict()

    async def get(self, digest: str) -> str | None:
        document = self._documents.get(digest)
        if document is not None:
            self._documents.move_to_end(digest)
        return document

    async def put(self, digest: str, document: str) -> None:
        self._documents[digest] = document
        self._documents.move_to_end(digest)
        while len(self._documents) > self.capacity:
            self._documents.popitem(last=False)

    async def close(self) -> None:
        self._documents.clear()


class RedisStore:
    """Shared by every server process; entries expire, so abandoned documents go away."""

    def __init__(self, url: str, namespace: str, ttl_seconds: int) -> None:
        self.url = url
        self.prefix = f"{namespace}:apq:"
        self.ttl_seconds = ttl_seconds
        self._redis: Redis | None = None

    def _client(self) -> Redis:
        # Connected on first use, inside the server's event loop.
        if self._redis is None:
            self._redis = Redis.from_url(self.url, decode_responses=True)
        return self._redis

    async def get(self, digest: str) -> str | None:
        document: str | None = await self._client().get(self.prefix + digest)
        return document

    async def put(self, digest: str, document: str) -> None:
        await self._client().set(self.prefix + digest, document, ex=self.ttl_seconds)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None


def load_trusted_documents(path: Path) -> dict[str, str]:
    """hash -> document, from ``{"<sha256>": "<document>", ...}`` (GraphQL Code Generator's
    persisted documents) or an Apollo persisted query manifest (``{"operations": [{"id",
    "body", ...}]}``). Every hash is checked against its document."""
    content = json.loads(path.read_text())
    if isinstance(content, dict) and isinstance(content.get("operations"), list):
        pairs = [(item["id"], item["body"]) for item in content["operations"]]
    elif isinstance(content, dict):
        pairs = list(content.items())
    else:
        raise ValueError(f"{path}: expected a JSON object of hash -> document")
    documents: dict[str, str] = {}
    for digest, document in pairs:
        if not isinstance(document, str) or document_hash(document) != digest:
            raise ValueError(f"{path}: the document of {digest!r} does not have that SHA-256")
        documents[digest] = document
    return documents


@dataclass(frozen=True, slots=True)
class Resolved:
    """An operation's document, and whether to remember it once it executed."""

    query: str | None
    register: str | None = None  # the hash to store the query under


class PersistedQueries:
    def __init__(self, settings: Settings) -> None:
        self.trusted = (
            load_trusted_documents(settings.trusted_documents)
            if settings.trusted_documents is not None
            else None
        )
        self.store: DocumentStore = (
            RedisStore(
                settings.redis_url, settings.bus_namespace, settings.persisted_query_ttl_seconds
            )
            if settings.redis_url
            else MemoryStore(settings.persisted_query_cache_size)
        )

    async def resolve(self, query: object, extensions: dict[str, Any] | None) -> Resolved:
        """The document to run for a request's ``query`` and ``extensions``; refused when it
        cannot be known (or, with trusted documents, is not trusted)."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if isinstance(query, str):
                if self.trusted is not None:  # a hash is looked up among trusted documents only
                    self.check_trusted(document_hash(query))
                return Resolved(query)
            return Resolved(None)
        digest = _persisted_hash(persisted)
        if query is not None:
            if not isinstance(query, str) or document_hash(query) != digest:
                raise bad_request("provided sha does not match query")
            self.check_trusted(digest)
            return Resolved(query, register=None if self.trusted is not None else digest)
        if self.trusted is not None:
            if (document := self.trusted.get(digest)) is None:
                raise graphql_refusal(
                    "PersistedQueryNotInList: this operation is not registered.",
                    "PERSISTED_QUERY_NOT_IN_LIST",
                )
            return Resolved(document)
        if (document := await self.store.get(digest)) is None:
            # Apollo clients recognise this exact message (and the code) and send the query.
            raise graphql_refusal("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
        return Resolved(document)

    def check_trusted(self, digest: str) -> None:
        """Refused unless trusted documents are off or the document is one of them."""
        if self.trusted is not None and digest not in self.trusted:
            raise graphql_refusal(
                "This server runs only its registered operations.", "QUERY_NOT_IN_SAFELIST"
            )

    async def register(self, resolved: Resolved) -> None:
        if resolved.register is not None and resolved.query is not None:
            await self.store.put(resolved.register, resolved.query)

    async def close(self) -> None:
        await self.store.close()


def _persisted_hash(persisted: object) -> str:
    if not isinstance(persisted, dict):
        raise bad_request("extensions.persistedQuery must be an object")
    if persisted.get("version") != APQ_VERSION:
        raise RequestRefused(
            "PersistedQueryNotSupported: only version 1 of persisted queries is supported",
            "PERSISTED_QUERY_NOT_SUPPORTED",
        )
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or len(digest) != 64:
        raise bad_request("extensions.persistedQuery.sha256Hash must be a SHA-256 hex digest")
    return digest.lower()
