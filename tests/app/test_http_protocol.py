"""GraphQL over HTTP: media types and status codes, persisted queries, trusted documents,
batching, and the coded errors of requests that cannot be executed."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query
from httpx_ws import WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from starlette.applications import Starlette

from gql_crm.app import create_app
from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from gql_crm.settings import Settings
from gql_crm.web import graphql_view
from tests.fixtures.live_server import started
from tests.graphql_client import GraphQLClient
from tests.ws_client import PROTOCOL, disconnect_in

GRAPHQL_RESPONSE = "application/graphql-response+json"
MODERN = {"Accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"}
LEGACY = {"Accept": "application/json"}


def _errors_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


async def _post(http: httpx.AsyncClient, body: Any, headers: dict[str, str]) -> httpx.Response:
    return await http.post("/graphql", json=body, headers=headers)


def _codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


@contextlib.asynccontextmanager
async def _served(settings: Settings, clock: FrozenClock, **changes: Any) -> AsyncIterator[Any]:
    """The application with other settings, and an HTTP client to it."""
    app = create_app(settings.model_copy(update=changes), clock=clock)
    async with started(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client


# Requests that were not executed: 4xx and no data under the specification's media type,
# 200 (and still no data: nothing ran) under application/json.
NOT_EXECUTED = [
    pytest.param({"query": "{ me { id "}, "GRAPHQL_PARSE_FAILED", id="syntax error"),
    pytest.param({"query": "{ nothing }"}, "GRAPHQL_VALIDATION_FAILED", id="unknown field"),
    pytest.param(
        {"query": "query($n: Int) { users(first: $n) { totalCount } }", "variables": {"n": "one"}},
        "BAD_USER_INPUT",
        id="bad variable",
    ),
    pytest.param(
        {"query": "query A { __typename }", "operationName": "B"},
        "OPERATION_RESOLUTION_FAILURE",
        id="unknown operationName",
    ),
    pytest.param(
        {"query": "query A { __typename } query B { __typename }"},
        "OPERATION_RESOLUTION_FAILURE",
        id="no operationName",
    ),
    pytest.param(
        {"query": "subscription { notifications { notification { id } } }"},
        "OPERATION_NOT_SUPPORTED",
        id="subscription over HTTP",
    ),
]


@pytest.mark.parametrize(("body", "code"), NOT_EXECUTED)
async def test_requests_that_cannot_run_are_coded_errors_without_data(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, body: dict[str, Any], code: str
) -> None:
    modern = await _post(http, body, MODERN)
    assert (modern.status_code, modern.headers["content-type"]) == (400, GRAPHQL_RESPONSE)
    assert "data" not in modern.json()
    assert _codes(modern.json())[:1] == [code]

    legacy = await _post(http, body, LEGACY)
    assert (legacy.status_code, legacy.headers["content-type"]) == (200, "application/json")
    assert "data" not in legacy.json()
    assert _codes(legacy.json())[:1] == [code]
    assert _errors_logged(caplog) == []


async def test_subscriptions_over_http_say_where_to_go(http: httpx.AsyncClient) -> None:
    body = {"query": "subscription { notifications { notification { id } } }"}
    error = (await _post(http, body, LEGACY)).json()["errors"][0]
    assert "WebSocket" in error["message"]


async def test_executed_requests_answer_200_with_data(
    http: httpx.AsyncClient, sales1: GraphQLClient
) -> None:
    ok = await _post(http, {"query": "{ me { loginName } }"}, {**MODERN, **_bearer(sales1)})
    assert (ok.status_code, ok.headers["content-type"]) == (200, GRAPHQL_RESPONSE)
    assert ok.json() == {"data": {"me": {"loginName": "sales1"}}}
    # A field error is an executed request: 200, with its data entry.
    failed = await _post(http, {"query": "{ me { id } }"}, MODERN)
    assert failed.status_code == 200
    assert failed.json()["data"] is None
    assert _codes(failed.json()) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", "application/json"),
        (f"{GRAPHQL_RESPONSE};q=0, application/json", "application/json"),
    ],
)
async def test_the_media_type_is_the_one_the_client_prefers(
    http: httpx.AsyncClient, accept: str | None, media_type: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = await _post(http, {"query": "{ __typename }"}, headers)
    assert (response.status_code, response.headers["content-type"]) == (200, media_type)


@pytest.mark.parametrize("headers", [MODERN, LEGACY])
async def test_malformed_requests_are_400_with_a_graphql_error(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for content in ("{not json", json.dumps({"variables": {}}), json.dumps({"query": 1})):
        response = await http.post(
            "/graphql", content=content, headers={**headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 400, content
        assert _codes(response.json()) == ["BAD_REQUEST"], content


def _bearer(client: GraphQLClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.token}"}


def _persisted(query: str) -> dict[str, Any]:
    digest = hashlib.sha256(query.encode()).hexdigest()
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def _unique(query: str) -> str:
    """The query under a hash no other test (or run sharing the Redis) has registered."""
    return f"{query}\n# {uuid.uuid4()}"


async def test_automatic_persisted_queries_round_trip(
    http: httpx.AsyncClient, sales1: GraphQLClient
) -> None:
    query = _unique("query Me { me { loginName } }")
    extensions = _persisted(query)
    headers = {**MODERN, **_bearer(sales1)}

    # Unknown hash: the error Apollo clients answer by sending the query with the hash.
    miss = await _post(http, {"extensions": extensions}, headers)
    assert miss.status_code == 400 and "data" not in miss.json()
    assert miss.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert _codes(miss.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    legacy = await _post(http, {"extensions": extensions}, {**LEGACY, **_bearer(sales1)})
    assert (legacy.status_code, _codes(legacy.json())) == (200, ["PERSISTED_QUERY_NOT_FOUND"])

    registered = await _post(http, {"query": query, "extensions": extensions}, headers)
    assert registered.json() == {"data": {"me": {"loginName": "sales1"}}}

    hit = await _post(http, {"extensions": extensions, "operationName": "Me"}, headers)
    assert hit.json() == {"data": {"me": {"loginName": "sales1"}}}
    # Apollo's GET form: the hash in the extensions parameter, Accept: */*.
    get = await http.get(
        "/graphql",
        params={"extensions": json.dumps(extensions), "operationName": "Me"},
        headers={"Accept": "*/*", **_bearer(sales1)},
    )
    assert (get.status_code, get.json()) == (200, {"data": {"me": {"loginName": "sales1"}}})


async def test_a_query_that_does_not_match_its_hash_is_refused_and_not_kept(
    http: httpx.AsyncClient,
) -> None:
    query = _unique("{ __typename }")
    claimed = _persisted(_unique("{ __typename }"))  # another document's hash
    wrong = await _post(http, {"query": query, "extensions": claimed}, MODERN)
    assert wrong.status_code == 400
    assert _codes(wrong.json()) == ["BAD_REQUEST"]
    assert "does not match" in wrong.json()["errors"][0]["message"]
    lookup = await _post(http, {"extensions": claimed}, MODERN)
    assert _codes(lookup.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_documents_that_fail_validation_are_not_kept(http: httpx.AsyncClient) -> None:
    query = _unique("{ nothing }")
    first = await _post(http, {"query": query, "extensions": _persisted(query)}, MODERN)
    assert _codes(first.json()) == ["GRAPHQL_VALIDATION_FAILED"]
    lookup = await _post(http, {"extensions": _persisted(query)}, MODERN)
    assert _codes(lookup.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


TRUSTED = "query Trusted { __typename }"


async def test_trusted_documents_run_only_registered_operations(
    settings: Settings,
    database: Database,
    clock: FrozenClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    manifest = tmp_path / "persisted-documents.json"
    manifest.write_text(json.dumps({_persisted(TRUSTED)["persistedQuery"]["sha256Hash"]: TRUSTED}))
    async with _served(settings, clock, trusted_documents=manifest) as http:
        by_hash = await _post(http, {"extensions": _persisted(TRUSTED)}, MODERN)
        assert by_hash.json() == {"data": {"__typename": "Query"}}
        in_full = await _post(http, {"query": TRUSTED}, MODERN)
        assert in_full.json() == {"data": {"__typename": "Query"}}

        other = _unique("{ __typename }")
        refused = await _post(http, {"query": other}, MODERN)
        assert (refused.status_code, _codes(refused.json())) == (400, ["QUERY_NOT_IN_SAFELIST"])
        # Nor can a client register it the APQ way.
        register = await _post(http, {"query": other, "extensions": _persisted(other)}, MODERN)
        assert _codes(register.json()) == ["QUERY_NOT_IN_SAFELIST"]
        unknown = await _post(http, {"extensions": _persisted(other)}, MODERN)
        assert _codes(unknown.json()) == ["PERSISTED_QUERY_NOT_IN_LIST"]
    assert _errors_logged(caplog) == []


async def test_trusted_documents_hold_over_websocket_too(
    settings: Settings, sales1: GraphQLClient, clock: FrozenClock, tmp_path: Path
) -> None:
    manifest = tmp_path / "persisted-documents.json"
    manifest.write_text(json.dumps({_persisted(TRUSTED)["persistedQuery"]["sha256Hash"]: TRUSTED}))
    app = create_app(settings.model_copy(update={"trusted_documents": manifest}), clock=clock)
    async with started(app), _socket(app, sales1.token) as ws:
        query = "subscription { notifications { notification { id } } }"
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query}})
        message = await ws.receive_json(timeout=5)
    assert message["type"] == "error" and message["id"] == "1"
    assert message["payload"][0]["extensions"]["code"] == "QUERY_NOT_IN_SAFELIST"


def test_a_trusted_documents_file_must_hold_what_its_hashes_say(tmp_path: Path) -> None:
    from gql_crm.web.persisted import load_trusted_documents

    manifest = tmp_path / "manifest.json"
    digest = _persisted(TRUSTED)["persistedQuery"]["sha256Hash"]
    apollo = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": [
        {"id": digest, "name": "Trusted", "type": "query", "body": TRUSTED}
    ]}  # fmt: skip
    manifest.write_text(json.dumps(apollo))
    assert load_trusted_documents(manifest) == {digest: TRUSTED}
    manifest.write_text(json.dumps({digest: "{ __typename }"}))
    with pytest.raises(ValueError, match="does not have that SHA-256"):
        load_trusted_documents(manifest)


async def test_batches_are_refused_unless_enabled(http: httpx.AsyncClient) -> None:
    batch = [{"query": "{ __typename }"}, {"query": "{ __typename }"}]
    for headers in (MODERN, LEGACY):
        response = await _post(http, batch, headers)
        assert response.status_code == 400
        assert _codes(response.json()) == ["BATCHING_NOT_ENABLED"]


async def test_batches_run_when_enabled_up_to_the_cap(
    settings: Settings, database: Database, clock: FrozenClock
) -> None:
    async with _served(settings, clock, batching=True, max_batch_operations=2) as http:
        pair = [{"query": "{ __typename }"}, {"query": "{ nothing }"}]
        response = await _post(http, pair, MODERN)
        assert response.status_code == 200
        first, second = response.json()
        assert first == {"data": {"__typename": "Query"}}
        assert "data" not in second and _codes(second) == ["GRAPHQL_VALIDATION_FAILED"]

        too_many = await _post(http, [{"query": "{ __typename }"}] * 3, MODERN)
        assert too_many.status_code == 400
        assert _codes(too_many.json()) == ["BATCH_TOO_LARGE"]
        malformed = await _post(http, [{"query": "{ __typename }"}, 7], MODERN)
        assert _codes(malformed.json()) == ["BAD_REQUEST"]


async def test_introspection_carries_no_error(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await _post(http, {"query": get_introspection_query()}, MODERN)
    body = response.json()
    assert response.status_code == 200
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    assert _errors_logged(caplog) == []


SUGGESTIVE = [
    ({"query": "{ mee { id } }"}, "Did you mean"),
    (
        {
            "query": "query($l: OptionList) { options(list: $l) { id } }",
            "variables": {"l": "SOURCES"},
        },
        "Did you mean",
    ),
]


async def test_no_suggestions_when_introspection_is_off(
    settings: Settings, database: Database, clock: FrozenClock, http: httpx.AsyncClient
) -> None:
    # With introspection on (the suite's settings) graphql-core suggests names...
    for body, suggestion in SUGGESTIVE:
        assert suggestion in (await _post(http, body, LEGACY)).json()["errors"][0]["message"]
    # ...which would give the schema away when introspection is off.
    async with _served(settings, clock, introspection=False) as closed:
        for body, suggestion in SUGGESTIVE:
            errors = (await _post(closed, body, LEGACY)).json()["errors"]
            assert errors and all(suggestion not in error["message"] for error in errors)


@contextlib.asynccontextmanager
async def _socket(app: Starlette, token: str | None) -> AsyncIterator[Any]:
    transport = ASGIWebSocketTransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        aconnect_ws("/graphql", client, subprotocols=[PROTOCOL]) as ws,  # type: ignore[var-annotated]
    ):
        await ws.send_json({"type": "connection_init", "payload": {"token": token}})
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        yield ws


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("not json", "valid JSON"),
        ("[1,2]", "Invalid message"),
        ("null", "Invalid message"),
        ('{"type": "subscribe", "id": "1", "payload": null}', "payload"),
        ('{"type": "subscribe", "id": "1", "payload": {"query": 1}}', "payload.query"),
        ('{"type": "subscribe", "id": 1, "payload": {"query": "{ __typename }"}}', "id"),
        ('{"type": "complete"}', "id"),
        ('{"type": "unknown"}', "Invalid message"),
    ],
)
async def test_malformed_frames_close_the_socket_with_4400(
    app: Starlette,
    sales1: GraphQLClient,
    caplog: pytest.LogCaptureFixture,
    frame: str,
    reason: str,
) -> None:
    closed = None
    try:
        async with _socket(app, sales1.token) as ws:
            await ws.send_text(frame)
            await ws.receive_json(timeout=5)
    except* WebSocketDisconnect as disconnect:
        closed = disconnect_in(disconnect)
    assert closed is not None and closed.code == 4400
    assert reason in (closed.reason or "")
    assert _errors_logged(caplog) == []


async def test_compiled_reads_answer_with_the_same_media_type_and_persisted_queries(
    settings: Settings,
    http: httpx.AsyncClient,
    admin: GraphQLClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if settings.is_sqlite:
        pytest.skip("compiled reads run on PostgreSQL")
    created = await admin.data(
        'mutation { createCustomer(input: { name: "Acme", maturityId: 1 }) {'
        " ... on CustomerSuccess { customer { id } } } }"
    )
    customer_id = created["createCustomer"]["customer"]["id"]

    answered: list[str | None] = []
    compiled_answer = graphql_view.CrmGraphQL._compiled_answer

    async def spy(*args: Any) -> str | None:
        answered.append(await compiled_answer(*args))
        return answered[-1]

    monkeypatch.setattr(graphql_view.CrmGraphQL, "_compiled_answer", spy)
    query = _unique("query($id: Int!) { customer(id: $id) { id } }")
    body = {"query": query, "variables": {"id": customer_id}, "extensions": _persisted(query)}
    headers = {**MODERN, **_bearer(admin)}
    registered = await _post(http, body, headers)
    hit = await _post(http, {**body, "query": None}, headers)
    for response in (registered, hit):
        assert (response.status_code, response.headers["content-type"]) == (200, GRAPHQL_RESPONSE)
        assert response.json() == {"data": {"customer": {"id": customer_id}}}
    assert len(answered) == 2 and all(answered)
