"""Webhooks for integrators, per the Standard Webhooks specification.

An endpoint (a URL, the event types it wants, a secret) belongs to a user: it receives the
events of records within that user's data scope. ``record`` stages an event during a unit of
work; just before the commit one outbox row per interested endpoint is written in the same
transaction. Deliveries are POSTed with ``webhook-id`` (the outbox key: the same on every
retry), ``webhook-timestamp`` and ``webhook-signature`` (HMAC-SHA256 of
``{id}.{timestamp}.{body}``; for ``SECRET_OVERLAP`` after a rotation with the previous secret
too, so receivers switch secrets without losing a delivery), retried over about three days;
an endpoint answering 410 Gone, or failing every delivery for
``webhook_disable_after_days``, is disabled and its owner told.

An endpoint may narrow what it hears with a customer filter, the customer list's own
(``services.customer.CustomerFilter``, read as the endpoint's owner reads that list): an
event about customers (its data's ``customerId`` or ``customerIds``; an order's or payment's
customer) is written only for an endpoint whose filter the customer matches, in SQL, in the
transaction of the change, so the filter sees the customer as the change leaves it. A batch
event (``customer.released``) names only the matching customers. Events about no customer
(``approval.decided``) are not filtered.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import secrets
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from sqlalchemy import Integer, literal, select, union_all
from standardwebhooks.webhooks import Webhook

from gql_crm.auth.permissions import Advanced
from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.models import (
    Customer,
    CustomerKind,
    MaturityOption,
    NotificationCategory,
    Pool,
)
from gql_crm.db.models.outbox import OutboxMessage
from gql_crm.db.models.webhook import WebhookEndpoint
from gql_crm.db.pagination import SortKey
from gql_crm.db.scopes import acting_principal
from gql_crm.services import customer as customers
from gql_crm.services import outbox
from gql_crm.services.errors import InvalidInput, NotFound, Problems
from gql_crm.services.notification import NotificationDraft, notify
from gql_crm.services.option import option_problem
from gql_crm.services.records import Records
from gql_crm.services.unit_of_work import Services, UnitOfWork, camel

KIND = "webhook"
MANAGE = Advanced.MANAGE_WEBHOOKS
ORDER = (SortKey(WebhookEndpoint.id, True),)
DELIVERY_ORDER = (SortKey(OutboxMessage.id, True),)
TEST_EVENT = "webhook.test"
EVENT_TYPES: dict[str, str] = {
    "customer.created": "A customer was entered.",
    "customer.updated": "A customer's details were edited.",
    "customer.claimed": "A customer was claimed from a public pool.",
    "customer.released": "Customers went back to the public pool.",
    "customer.transferred": "A customer was given to another owner.",
    "order.signed": "An order (contract) was signed.",
    "payment.recorded": "A payment or refund was recorded against an order.",
    "approval.decided": "An approval was approved or rejected at a step.",
}
# After the 1st, 2nd… failed attempt: ten attempts over about three days.
RETRY_DELAYS = tuple(
    timedelta(seconds=s)
    for s in (5, 300, 1800, 7200, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600)
)
_PENDING = "webhooks"
# How long after a rotation deliveries are signed with the previous secret as well.
SECRET_OVERLAP = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class StagedEvent:
    type: str
    data: dict[str, Any]
    owner_id: int | None  # whose record: endpoints see it within their owner's scope
    public: bool  # a record everyone may see (a customer in a public pool)

    @property
    def customer_ids(self) -> tuple[int, ...] | None:
        """The customers the event is about (None: it is about no customer)."""
        if "customerIds" in self.data:
            return tuple(self.data["customerIds"])
        if "customerId" in self.data:
            return (self.data["customerId"],)
        return None


def record(
    uow: UnitOfWork,
    type_: str,
    data: dict[str, Any],
    owner_id: int | None,
    *,
    public: bool = False,
) -> None:
    """Stage an event; the outbox rows are written with the unit of work's commit."""
    assert type_ in EVENT_TYPES, type_
    staged = uow.pending.setdefault(_PENDING, [])
    if not staged:
        uow.before_commit(_PENDING, lambda: _write(uow))
    staged.append(StagedEvent(type_, data, owner_id, public))


def _sees(principal: Principal, event: StagedEvent) -> bool:
    return event.public or principal.can_see_owner(event.owner_id)


async def _write(uow: UnitOfWork) -> None:
    staged: list[StagedEvent] = uow.pending.pop(_PENDING, [])
    types = {event.type for event in staged}
    endpoints = (
        await uow.session.execute(
            select(
                WebhookEndpoint.id,
                WebhookEndpoint.owner_id,
                WebhookEndpoint.event_types,
                WebhookEndpoint.customer_filter,
            )
            .where(WebhookEndpoint.enabled.is_(True))
            .order_by(WebhookEndpoint.id)
        )
    ).all()
    owners: dict[int, Principal | None] = {}
    chosen: list[tuple[Any, Principal, list[StagedEvent]]] = []
    for endpoint in endpoints:
        if not types.intersection(endpoint.event_types):
            continue
        if endpoint.owner_id not in owners:
            owners[endpoint.owner_id] = await acting_principal(uow.session, endpoint.owner_id)
        owner = owners[endpoint.owner_id]
        if owner is None or MANAGE not in owner.permissions:
            continue
        wanted = [e for e in staged if e.type in endpoint.event_types and _sees(owner, e)]
        if wanted:
            chosen.append((endpoint, owner, wanted))
    matching = await _matching(uow, chosen)
    rows: list[dict[str, Any]] = []
    for endpoint, _, wanted in chosen:
        for event in wanted:
            data = event.data
            if endpoint.customer_filter is not None and (about := event.customer_ids):
                matched = [i for i in about if i in matching.get(endpoint.id, ())]
                if not matched:
                    continue
                if "customerIds" in data:
                    data = {**data, "customerIds": matched}
            rows.append(_row(uow, endpoint.id, event.type, data))
    await outbox.enqueue(uow, KIND, rows)


async def _matching(
    uow: UnitOfWork, chosen: Sequence[tuple[Any, Principal, list[StagedEvent]]]
) -> dict[int, set[int]]:
    """Per filtered endpoint, which of its events' customers its filter matches, as its
    owner's customer list would: one statement for all of them."""
    queries = []
    for endpoint, owner, wanted in chosen:
        about = {i for event in wanted for i in event.customer_ids or ()}
        if endpoint.customer_filter is None or not about:
            continue
        if customers.CUSTOMER_VIEW not in owner.permissions:
            continue  # an owner who may not list customers matches none
        listed = customers.customer_query(owner, stored_filter(endpoint.customer_filter))
        queries.append(
            listed.where(Customer.id.in_(sorted(about))).with_only_columns(
                literal(endpoint.id, Integer).label("endpoint_id"), Customer.id
            )
        )
    found: dict[int, set[int]] = {}
    if queries:
        await uow.session.flush()  # the customers as the change leaves them
        for endpoint_id, customer_id in await uow.session.execute(union_all(*queries)):
            found.setdefault(endpoint_id, set()).add(customer_id)
    return found


def _row(uow: UnitOfWork, endpoint_id: int, type_: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": outbox.new_key("msg"),
        "target_id": endpoint_id,
        "payload": {"type": type_, "timestamp": uow.now.isoformat(), "data": data},
    }


# ---- endpoints ---------------------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _filter_enums() -> dict[str, type[Any]]:
    """How a stored filter's enum fields read back (the others are ids and text); read when
    called, as ``services.customer`` imports this module."""
    return {"view": customers.CustomerView, "pool": Pool, "kind": CustomerKind}


def stored_filter(stored: dict[str, Any]) -> customers.CustomerFilter:
    """An endpoint's filter as the customer list takes it."""
    enums = _filter_enums()
    return customers.CustomerFilter(
        **{k: enums[k](v) if k in enums else v for k, v in stored.items()}
    )


async def _filter_problems(
    uow: UnitOfWork, input: Any, owner_id: int, problems: Problems
) -> dict[str, Any] | None:
    """The filter (the input object, with the customer list filter's fields) as stored: the
    fields given, enums as their values, None when it narrows nothing; what is wrong in it
    is added to ``problems``."""
    given = {f.name: getattr(input, f.name) for f in dataclasses.fields(input)}
    if isinstance(given.get("search"), str):
        given["search"] = given["search"].strip() or None
    chosen, everyone = customers.CustomerFilter(**given), customers.CustomerFilter()
    stored = {
        name: str(value) if name in _filter_enums() else value
        for name, value in given.items()
        if value is not None and value != getattr(everyone, name)
    }
    if not stored:
        return None

    def add(name: str, message: str) -> None:
        problems.add(f"customerFilter.{camel(name)}", message)

    for name, option_list in customers.OPTION_FIELDS.items():
        if p := await option_problem(uow.session, option_list, getattr(chosen, name)):
            add(name, p)
    maturity = chosen.maturity_id
    if maturity is not None and await uow.session.get(MaturityOption, maturity) is None:
        add("maturity_id", f"maturity option {maturity} does not exist")
    owner = await acting_principal(uow.session, owner_id)
    if owner is None or customers.CUSTOMER_VIEW not in owner.permissions:
        problems.add("customerFilter", "the endpoint's owner may not list customers")
    elif chosen.owner_id is not None and not owner.can_see_owner(chosen.owner_id):
        add("owner_id", f"user {chosen.owner_id} is not within the endpoint owner's scope")
    return stored


async def _check(
    uow: UnitOfWork, values: dict[str, Any], row: WebhookEndpoint | None
) -> dict[str, Any]:
    problems = Problems()
    url = urlsplit(values["url"])
    if url.scheme not in ("http", "https") or not url.hostname:
        problems.add("url", "must be an http or https URL with a host")
    types = values["event_types"]
    if not types:
        problems.add("eventTypes", "name at least one event type")
    elif unknown := sorted(set(types) - set(EVENT_TYPES)):
        problems.add("eventTypes", f"unknown event types: {', '.join(unknown)}")
    given = values.get("customer_filter")
    owner_id = uow.principal.user_id if row is None else row.owner_id
    narrowing = None if given is None else await _filter_problems(uow, given, owner_id, problems)
    problems.raise_if_any()
    values = {**values, "event_types": sorted(set(types)), "customer_filter": narrowing}
    if row is None:
        return {**values, "owner_id": uow.principal.user_id, "secret": new_secret()}
    if values.get("enabled") and not row.enabled:  # switched back on: a fresh start
        values.update(disabled_reason=None, failing_since=None)
    return values


endpoints = Records(
    WebhookEndpoint, "webhook_endpoint", visibility.webhook_endpoint, check=_check,
    summary="url",
)  # fmt: skip


def endpoint_list(principal: Principal) -> Any:
    return endpoints.rows(principal)


def delivery_list(principal: Principal, endpoint_id: int | None = None) -> Any:
    """Deliveries to the endpoints the caller may see, newest first."""
    stmt = select(OutboxMessage).where(visibility.webhook_delivery(principal))
    if endpoint_id is not None:
        stmt = stmt.where(OutboxMessage.target_id == endpoint_id)
    return stmt


async def rotate_secret(uow: UnitOfWork, id: int) -> WebhookEndpoint:
    """A new secret, signing from the next attempt on; the one it replaces signs as well
    until ``SECRET_OVERLAP`` has passed (a second rotation within it drops the oldest)."""
    endpoint = await endpoints.get(uow, id)
    endpoint.previous_secret, endpoint.secret = endpoint.secret, new_secret()
    endpoint.secret_rotated_at = endpoint.updated_at = uow.now
    uow.log("webhook_endpoint", id, "rotate_secret")
    return endpoint


async def send_test(uow: UnitOfWork, id: int) -> OutboxMessage:
    """A ``webhook.test`` event to this endpoint only, whatever event types it wants."""
    endpoint = await endpoints.get(uow, id)
    if not endpoint.enabled:
        raise InvalidInput.single("id", "the endpoint is disabled: enable it first")
    row = _row(uow, endpoint.id, TEST_EVENT, {"endpointId": endpoint.id})
    await outbox.enqueue(uow, KIND, [row])
    return await _delivery(uow, row["key"])


async def replay(uow: UnitOfWork, id: int) -> OutboxMessage:
    """Deliver a settled delivery once more, under its own webhook-id."""
    message = await uow.find(
        OutboxMessage, id, visibility.webhook_delivery(uow.principal), label="Webhook delivery"
    )
    if not await outbox.requeue(uow, [message.id]):
        raise InvalidInput.single("id", "the delivery is being sent right now")
    await uow.session.refresh(message)
    return message


async def _delivery(uow: UnitOfWork, key: str) -> OutboxMessage:
    message = await uow.session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    if message is None:
        raise NotFound("Webhook delivery", 0)
    return message


# ---- delivery ----------------------------------------------------------------------------

_CLIENTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def _client() -> httpx.AsyncClient:
    """One connection pool per event loop (a process's worker, each test's loop)."""
    loop = asyncio.get_running_loop()
    client = _CLIENTS.get(loop)
    if client is None:
        client = _CLIENTS[loop] = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            follow_redirects=False,
        )
    return client


def previous_secret_until(endpoint: WebhookEndpoint) -> datetime | None:
    """Until when deliveries are signed with the previous secret too (None: no rotation)."""
    if endpoint.previous_secret is None or endpoint.secret_rotated_at is None:
        return None
    return endpoint.secret_rotated_at + SECRET_OVERLAP


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one
    during the overlap after a rotation."""
    until = previous_secret_until(endpoint)
    if until is not None and endpoint.previous_secret is not None and now < until:
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


def signed_headers(signing: Sequence[str], key: str, body: bytes, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers, one space-separated ``v1,`` signature per secret."""
    return {
        "content-type": "application/json",
        "user-agent": "gql-crm-webhooks",
        "webhook-id": key,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(Webhook(s).sign(key, at, body) for s in signing),
    }


class WebhookHandler:
    retry_delays: Sequence[timedelta] = RETRY_DELAYS

    async def load(
        self, services: Services, messages: Sequence[outbox.Claimed]
    ) -> dict[int, WebhookEndpoint]:
        """The batch's endpoints as they are when it starts: one read, not one per delivery."""
        ids = sorted({m.target_id for m in messages if m.target_id is not None})
        async with services.database.reader() as session:
            found = await session.scalars(
                select(WebhookEndpoint).where(WebhookEndpoint.id.in_(ids))
            )
            return {endpoint.id: endpoint for endpoint in found}

    async def send(self, services: Services, message: outbox.Claimed) -> outbox.Outcome:
        endpoint = message.loaded.get(message.target_id) if message.loaded else None
        if endpoint is None or not endpoint.enabled:
            return outbox.Outcome(False, error="the endpoint is disabled or gone", permanent=True)
        body = orjson.dumps(message.payload)
        # The signature's timestamp is the wall clock's: receivers compare it with theirs
        # to refuse replays, whatever time the business clock says.
        signing = signing_secrets(endpoint, services.clock.now())
        headers = signed_headers(signing, message.key, body, datetime.now(UTC))
        try:
            response = await _client().post(
                endpoint.url,
                content=body,
                headers=headers,
                timeout=services.settings.webhook_timeout_seconds,
            )
        except httpx.TimeoutException:
            return outbox.Outcome(False, error="timed out")
        except httpx.HTTPError as error:
            return outbox.Outcome(False, error=f"{type(error).__name__}: {error}"[:300])
        code = response.status_code
        if 200 <= code < 300:
            return outbox.Outcome(True, status_code=code)
        return outbox.Outcome(False, status_code=code, permanent=code == 410)

    async def settled(
        self, uow: UnitOfWork, message: outbox.Claimed, outcome: outbox.Outcome, final: bool
    ) -> None:
        sent_to = message.loaded.get(message.target_id) if message.loaded else None
        if outcome.delivered and sent_to is not None and sent_to.failing_since is None:
            return  # nothing to clear (a failure since then is cleared by the next success)
        endpoint = await uow.session.get(WebhookEndpoint, message.target_id, with_for_update=True)
        if endpoint is None or not endpoint.enabled:
            return
        if outcome.delivered:
            endpoint.failing_since = None
            return
        if outcome.status_code == 410:
            await _disable(uow, endpoint, "the endpoint answered 410 Gone")
            return
        if endpoint.failing_since is None:
            endpoint.failing_since = uow.now
        limit = timedelta(days=uow.services.settings.webhook_disable_after_days)
        if uow.now - endpoint.failing_since >= limit:
            since = endpoint.failing_since.isoformat(timespec="seconds")
            await _disable(uow, endpoint, f"every delivery failed since {since}")


async def _disable(uow: UnitOfWork, endpoint: WebhookEndpoint, reason: str) -> None:
    uow.apply(
        "webhook_endpoint", endpoint, {"enabled": False, "disabled_reason": reason}, "disable"
    )
    draft = NotificationDraft(
        category=NotificationCategory.PERSONAL,
        kind="webhook.disabled",
        title="A webhook endpoint was disabled",
        body=f"{endpoint.url}: {reason}. Fix it and enable it again to receive events.",
        link_type="webhook_endpoint",
        link_id=endpoint.id,
    )
    await notify(uow, [endpoint.owner_id], draft)


outbox.register(KIND, WebhookHandler())
